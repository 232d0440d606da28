import { caller, type Caller } from './disputes-helpers';
import { describeOnDatabases } from './support/gateway';
import {
  act,
  ask,
  eventually,
  openDispute,
  people,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';

// Each reader's own timeline: numbered over what that reader may see (a party's numbers do not
// skip the staff-only notes between its entries), worded to the reader ("You opened…"), and
// never carrying the stream revision to a party, neither in an entry nor in a cursor.

const ENTRY = 'sequence revision type actorRole actorId summary';
const PAGE = `query Page($id: ID!, $first: Int, $after: String) { disputeTimeline(id: $id, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${ENTRY} } } } }`;
const WHOLE = `query Whole($id: ID!) { dispute(id: $id) { timeline { ${ENTRY} } } }`;

interface Entry {
  sequence: number;
  revision: number | null;
  type: string;
  actorRole: string;
  actorId: string;
  summary: string;
}
interface Page {
  disputeTimeline: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: Entry }[];
  };
}

const NOTES = ['Seller has three similar cases', 'Photos check out', 'Lean to the buyer'];

/** Every page of `reader`'s timeline, `first` entries at a time, with the cursors handed out. */
async function pagedTimeline(r: ReadGateway, reader: Caller, id: string, first: number) {
  const entries: Entry[] = [];
  const cursors: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const body: { data?: Page | null; errors?: unknown } = await ask<Page>(r.url, reader, PAGE, {
      id,
      first,
      after,
    });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    const page: Page['disputeTimeline'] = (body.data as Page).disputeTimeline;
    entries.push(...page.edges.map((edge) => edge.node));
    cursors.push(...page.edges.map((edge) => edge.cursor));
    if (!page.pageInfo.hasNextPage) return { entries, cursors, totalCount: page.totalCount };
    after = page.pageInfo.endCursor;
  }
  throw new Error('the timeline never ended');
}

async function wholeTimeline(r: ReadGateway, reader: Caller, id: string): Promise<Entry[]> {
  const body = await ask<{ dispute: { timeline: Entry[] } }>(r.url, reader, WHOLE, { id });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data?.dispute.timeline ?? [];
}

const decoded = (cursor: string): unknown =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));

describeOnDatabases('timeline per reader', (database) => {
  let r: ReadGateway;
  let who: Awaited<ReturnType<typeof people>>;
  let otherMediator: Caller;
  let disputeId: string;

  beforeAll(async () => {
    r = await startReadGateway(database);
    who = await people(r);
    otherMediator = await caller('mediator', r.id('other-mediator'));
    const opened = await openDispute(r, who, 'DAMAGED');
    disputeId = opened.dispute.disputeId;
    // Staff-only notes between the parties' entries, and one after the last.
    const steps: [Caller, string, Record<string, unknown>][] = [
      [who.seller, 'respondToDispute', { response: 'REJECT', comment: 'It left here intact' }],
      [who.buyer, 'escalateDispute', {}],
      [who.mediator, 'takeCase', {}],
      [who.mediator, 'addInternalNote', { note: NOTES[0] }],
      [who.buyer, 'postMessage', { body: 'More photos attached' }],
      [who.mediator, 'addInternalNote', { note: NOTES[1] }],
      [who.seller, 'postMessage', { body: 'Packed with care' }],
      [who.mediator, 'addInternalNote', { note: NOTES[2] }],
    ];
    for (const [actor, name, input] of steps)
      await act(r.url, actor, name, { disputeId, ...input });
    // The timeline projection may be a step behind the last mutation's answer.
    await eventually(async () => {
      expect((await wholeTimeline(r, who.mediator, disputeId)).length).toBe(9);
    });
  });
  afterAll(() => r?.close());

  const PARTY_TYPES = [
    'DisputeOpened',
    'SellerResponded',
    'DisputeEscalated',
    'CaseTaken',
    'MessagePosted',
    'MessagePosted',
  ];

  it.each([
    [
      'buyer',
      [
        'You opened a dispute (damaged), asking for a full refund: “Not what the listing showed”.',
        'The seller rejected the claim: “It left here intact”.',
        'The dispute was escalated to mediation at your request.',
        'A mediator took the case.',
        'You wrote: “More photos attached”.',
        'The seller wrote: “Packed with care”.',
      ],
    ],
    [
      'seller',
      [
        'The buyer opened a dispute (damaged), asking for a full refund: “Not what the listing showed”.',
        'You rejected the claim: “It left here intact”.',
        'The dispute was escalated to mediation at the buyer’s request.',
        'A mediator took the case.',
        'The buyer wrote: “More photos attached”.',
        'You wrote: “Packed with care”.',
      ],
    ],
  ] as const)(
    'the %s’s timeline is numbered without gaps, speaks to them, and reveals no note',
    async (role, summaries) => {
      const reader = who[role];
      const expected = PARTY_TYPES.map((type, i) => ({
        sequence: i + 1,
        revision: null,
        type,
        summary: summaries[i],
      }));
      for (const first of [1, 2, 4, 100]) {
        const paged = await pagedTimeline(r, reader, disputeId, first);
        expect(paged.totalCount).toBe(6);
        expect(paged.entries).toMatchObject(expected);
        // The cursor is opaque, but a party could decode it: it holds its own number only.
        expect(paged.cursors.map(decoded)).toEqual(expected.map((e) => [String(e.sequence)]));
        expect(JSON.stringify(paged)).not.toMatch(/InternalNote|similar cases|check out|Lean/);
      }
      const whole = await wholeTimeline(r, reader, disputeId);
      expect(whole).toMatchObject(expected);
      expect(whole.map((entry) => entry.actorRole)).toEqual([
        'buyer',
        'seller',
        'buyer',
        'mediator',
        'buyer',
        'seller',
      ]);
      expect(whole[3].actorId).toBe('[redacted]');
    },
  );

  it('staff see every entry, numbered with its revision; the mediator who acted reads "You"', async () => {
    const types = [
      'DisputeOpened',
      'SellerResponded',
      'DisputeEscalated',
      'CaseTaken',
      'InternalNoteAdded',
      'MessagePosted',
      'InternalNoteAdded',
      'MessagePosted',
      'InternalNoteAdded',
    ];
    const mine = await pagedTimeline(r, who.mediator, disputeId, 4);
    expect(mine.totalCount).toBe(9);
    expect(mine.entries.map((e) => [e.sequence, e.revision, e.type])).toEqual(
      types.map((type, i) => [i + 1, i, type]),
    );
    expect(mine.entries.map((e) => e.summary)).toEqual([
      'The buyer opened a dispute (damaged), asking for a full refund: “Not what the listing showed”.',
      'The seller rejected the claim: “It left here intact”.',
      'The dispute was escalated to mediation at the buyer’s request.',
      'You took the case.',
      `You added an internal note: “${NOTES[0]}”.`,
      'The buyer wrote: “More photos attached”.',
      `You added an internal note: “${NOTES[1]}”.`,
      'The seller wrote: “Packed with care”.',
      `You added an internal note: “${NOTES[2]}”.`,
    ]);
    expect(await wholeTimeline(r, who.mediator, disputeId)).toEqual(mine.entries);

    const theirs = await wholeTimeline(r, otherMediator, disputeId);
    expect(theirs.map((e) => e.sequence)).toEqual(types.map((_t, i) => i + 1));
    expect(theirs[3].summary).toBe('A mediator took the case.');
    expect(theirs[4].summary).toBe(`A mediator added an internal note: “${NOTES[0]}”.`);
  });

  it('analysts read the third person, without gaps or revisions', async () => {
    const entries = await wholeTimeline(r, who.analyst, disputeId);
    expect(entries.map((e) => [e.sequence, e.revision, e.type])).toEqual(
      PARTY_TYPES.map((type, i) => [i + 1, null, type]),
    );
    expect(entries[0].summary).toMatch(/^The buyer opened a dispute \(damaged\)/);
  });

  it('a party’s dispute and mutation answers count what it sees, never the stream revision', async () => {
    const DISPUTE = `query One($id: ID!) { dispute(id: $id) { sequence revision } }`;
    type One = { dispute: { sequence: number; revision: number | null } };
    for (const [reader, expected] of [
      [who.buyer, { sequence: 6, revision: null }],
      [who.seller, { sequence: 6, revision: null }],
      [who.analyst, { sequence: 6, revision: null }],
      [who.mediator, { sequence: 9, revision: 8 }],
    ] as const) {
      const body = await ask<One>(r.url, reader, DISPUTE, { id: disputeId });
      expect(body.data?.dispute).toEqual(expected);
    }
    // After two more notes, a party's next write answers with its own count (7, not 12).
    for (const note of ['One more', 'And another'])
      await act(r.url, who.mediator, 'addInternalNote', { disputeId, note });
    const posted = await act(r.url, who.buyer, 'postMessage', { disputeId, body: 'Any news?' });
    expect(posted.dispute).toMatchObject({ sequence: 7, revision: null });
    expect(posted.readYourWrites).toEqual([
      { disputeId, sequence: 7, revision: null, consistent: true },
    ]);
    const noted = await act(r.url, who.mediator, 'addInternalNote', { disputeId, note: 'Last' });
    expect(noted.dispute).toMatchObject({ sequence: 13, revision: 12 });
    expect(noted.readYourWrites).toEqual([
      { disputeId, sequence: 13, revision: 12, consistent: true },
    ]);
  });

  it('refuses a cursor that is not a sequence this timeline hands out', async () => {
    const forged = Buffer.from(JSON.stringify(['0'])).toString('base64url');
    const body = await ask(r.url, who.buyer, PAGE, { id: disputeId, after: forged });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

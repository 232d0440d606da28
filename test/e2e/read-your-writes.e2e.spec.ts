import { ProjectionRunner } from '@arbiter/read-models';
import { DISPUTE_FIELDS } from './disputes-helpers';
import { describeOnAllStores } from './support/gateway';
import {
  act,
  ask,
  eventually,
  openDispute,
  people,
  ReadGateway,
  startReadGateway,
} from './read-helpers';

const DISPUTE = `query One($id: ID!) { dispute(id: $id) { disputeId status sequence revision messages { body } } }`;
type One = {
  dispute: {
    disputeId: string;
    status: string;
    sequence: number;
    revision: number | null;
    messages: { body: string }[];
  } | null;
};

// Mutations answer with the read model's view once the projection shows the change (a bounded
// wait), so a query sent right after sees it; when it does not, they say so and answer anyway.
describeOnAllStores('read-your-writes', (database) => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway(database);
  });
  afterAll(() => r?.close());

  it('answers with the view after the change, and a query right after sees it', async () => {
    const who = await people(r);
    const opened = await openDispute(r, who);
    expect(opened.dispute).toMatchObject({ status: 'AWAITING_SELLER', sequence: 1 });
    expect(opened.readYourWrites).toEqual([
      { disputeId: opened.dispute.disputeId, sequence: 1, revision: null, consistent: true },
    ]);
    const id = opened.dispute.disputeId;

    // No wait, no retry: the read model already has it.
    expect((await ask<One>(r.url, who.buyer, DISPUTE, { id })).data?.dispute).toMatchObject({
      status: 'AWAITING_SELLER',
      sequence: 1,
    });

    const answered = await act(r.url, who.seller, 'respondToDispute', {
      disputeId: id,
      response: 'REJECT',
      comment: 'It is as described',
    });
    expect(answered.dispute).toMatchObject({ status: 'NEGOTIATING', sequence: 2 });
    expect(answered.readYourWrites).toEqual([
      { disputeId: id, sequence: 2, revision: null, consistent: true },
    ]);
    // The other party's view is another projection; it is there too by the time the seller reads.
    const message = await act(r.url, who.buyer, 'postMessage', {
      disputeId: id,
      body: 'Please look at the photos',
    });
    expect(message.readYourWrites[0].consistent).toBe(true);
    expect((await ask<One>(r.url, who.buyer, DISPUTE, { id })).data?.dispute).toMatchObject({
      status: 'NEGOTIATING',
      sequence: 3,
      messages: [{ body: 'Please look at the photos' }],
    });
  });

  it('gives every copy of one request sent at once the first one’s view, read-your-writes included', async () => {
    const who = await people(r);
    const id = (await openDispute(r, who)).dispute.disputeId;
    const copies = await Promise.all(
      Array.from({ length: 5 }, () =>
        act(r.url, who.buyer, 'postMessage', {
          disputeId: id,
          body: 'Sent five times at once',
          idempotencyKey: `copies-${id}`,
        }),
      ),
    );
    // A copy that replays the recorded command waits for the view to show it like the first one,
    // rather than answering from its own events with consistent: false.
    for (const copy of copies) {
      expect(copy.readYourWrites).toEqual([
        { disputeId: id, sequence: 2, revision: null, consistent: true },
      ]);
      expect(copy.dispute).toEqual(copies[0].dispute);
    }
  });

  it('says consistent: false when the projections do not run, answering from the command’s own events', async () => {
    const who = await people(r);
    const opened = await openDispute(r, who);
    const id = opened.dispute.disputeId;
    const runner = r.gateway.app.get(ProjectionRunner, { strict: false });
    await runner.stop();
    let posted: Awaited<ReturnType<typeof act>>;
    try {
      const started = Date.now();
      posted = await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'Still waiting' });
      // Nobody runs the projections: no point waiting out the timeout.
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(posted.readYourWrites).toEqual([
        { disputeId: id, sequence: 2, revision: null, consistent: false },
      ]);
      // The answer is still right: the command's own view.
      expect(posted.dispute).toMatchObject({ sequence: 2, messages: [{ body: 'Still waiting' }] });
      // …while queries do not show it yet.
      expect((await ask<One>(r.url, who.buyer, DISPUTE, { id })).data?.dispute).toMatchObject({
        sequence: 1,
        messages: [],
      });
    } finally {
      runner.start();
    }
    await eventually(async () =>
      expect((await ask<One>(r.url, who.buyer, DISPUTE, { id })).data?.dispute).toMatchObject({
        sequence: 2,
      }),
    );
    // Once caught up, the read model's view is the very answer the command side gave.
    const full = await ask<{ dispute: unknown }>(
      r.url,
      who.buyer,
      `query Full($id: ID!) { dispute(id: $id) { ${DISPUTE_FIELDS} } }`,
      { id },
    );
    expect(full.data?.dispute).toEqual(posted.dispute);
  });

  it('reports each dispute mutation of one operation, in order', async () => {
    const who = await people(r);
    const { dispute } = await openDispute(r, who);
    const response = await ask<Record<string, unknown>>(
      r.url,
      who.buyer,
      `mutation Two($a: PostMessageInput!, $b: PostMessageInput!) { a: postMessage(input: $a) { sequence revision } b: postMessage(input: $b) { sequence revision } }`,
      {
        a: { disputeId: dispute.disputeId, body: 'one' },
        b: { disputeId: dispute.disputeId, body: 'two' },
      },
    );
    expect(response.data).toEqual({
      a: { sequence: 2, revision: null },
      b: { sequence: 3, revision: null },
    });
    expect((response as { extensions?: unknown }).extensions).toEqual({
      readYourWrites: [
        { disputeId: dispute.disputeId, sequence: 2, revision: null, consistent: true },
        { disputeId: dispute.disputeId, sequence: 3, revision: null, consistent: true },
      ],
    });
  });
});

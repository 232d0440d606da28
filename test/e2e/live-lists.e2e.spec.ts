import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { caller, type Caller, eur } from './disputes-helpers';
import { describeOnAllStores } from './support/gateway';
import {
  act,
  eventually,
  openDispute,
  people,
  type ReadGateway,
  startReadGateway,
} from './read-helpers';

const DISPUTE = 'disputeId status sequence orderId messages { body } internalNotes { note }';
const LISTS = {
  myDisputesUpdated: `subscription($after: String) { myDisputesUpdated(after: $after) { cursor dispute { ${DISPUTE} } } }`,
  sellerDisputesUpdated: `subscription($after: String) { sellerDisputesUpdated(after: $after) { cursor dispute { ${DISPUTE} } } }`,
  disputeChanged: `subscription($id: ID!, $after: String) { disputeChanged(id: $id, after: $after) { cursor dispute { ${DISPUTE} } } }`,
  mediationQueueUpdated: `subscription($after: String, $filter: MediationQueueFilter) { mediationQueueUpdated(after: $after, filter: $filter) { cursor disputeId inQueue case { queuedAt dispute { ${DISPUTE} mediatorId } } } }`,
} as const;

interface Dispute {
  disputeId: string;
  status: string;
  sequence: number;
  orderId: string;
  messages: { body: string }[];
  internalNotes: { note: string }[];
}
interface Message {
  cursor: string;
  dispute?: Dispute;
  disputeId?: string;
  inQueue?: boolean;
  case?: { queuedAt: string | null; dispute: Dispute & { mediatorId: string | null } };
}
interface WsError {
  message: string;
  extensions?: { code?: string; resumeAfter?: string };
}

/** A graphql-ws subscription to one of the live lists that records what arrives. */
function follow(
  wsUrl: string,
  who: Caller,
  field: keyof typeof LISTS,
  variables: Record<string, unknown> = {},
) {
  const messages: Message[] = [];
  const errors: WsError[] = [];
  let completed = false;
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${who.token}` },
  });
  const stop = client.subscribe<Record<string, Message>>(
    { query: LISTS[field], variables },
    {
      next: (result) => {
        if (result.data?.[field]) messages.push(result.data[field]);
        if (result.errors) errors.push(...(result.errors as unknown as WsError[]));
      },
      error: (error) => errors.push({ message: String((error as Error).message ?? error) }),
      complete: () => (completed = true),
    },
  );
  return {
    messages,
    errors,
    completed: () => completed,
    /** The messages about one dispute. */
    of: (disputeId: string) =>
      messages.filter((m) => (m.dispute?.disputeId ?? m.disputeId) === disputeId),
    lastCursor: () => messages.at(-1)?.cursor,
    async close() {
      stop();
      await client.dispose();
    },
  };
}

/** A metric's value in a Prometheus text exposition (0 when absent). */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Repeats `act_` until `done()` holds: a subscription without `after` has no acknowledgement. */
async function until(
  done: () => boolean,
  act_: (attempt: number) => Promise<unknown> = async () => undefined,
  attempts = 40,
): Promise<void> {
  for (let attempt = 0; attempt < attempts && !done(); attempt++) {
    await act_(attempt);
    const settle = Date.now() + 250;
    while (!done() && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!done()) throw new Error('nothing arrived');
}

/** A dispute of `who` the seller rejected and the buyer escalated: in the mediation queue. */
async function escalatedDispute(r: ReadGateway, who: Awaited<ReturnType<typeof people>>) {
  const disputeId = (await openDispute(r, who)).dispute.disputeId;
  await act(r.url, who.seller, 'respondToDispute', {
    disputeId,
    response: 'REJECT',
    comment: 'No',
  });
  await act(r.url, who.buyer, 'escalateDispute', { disputeId });
  return disputeId;
}

/**
 * Follows `subscription` as `viewer` until a dispute opened for `who` arrives, then disconnects:
 * the dispute and the last cursor seen, to resume after.
 */
async function disputeSeenThenAway(
  r: ReadGateway,
  who: Awaited<ReturnType<typeof people>>,
  viewer: 'buyer' | 'seller',
  subscription: 'myDisputesUpdated' | 'sellerDisputesUpdated',
): Promise<{ id: string; after: string | undefined }> {
  const list = follow(r.gateway.wsUrl, who[viewer], subscription);
  let id = '';
  try {
    await until(
      () => id !== '' && list.of(id).length > 0,
      async () => (id = (await openDispute(r, who)).dispute.disputeId),
    );
  } finally {
    await list.close();
  }
  return { id, after: list.lastCursor() };
}

// The live lists over graphql-ws: each message the caller's view with a cursor; resubscribing
// with the last cursor replays what changed meanwhile, then continues live.
describeOnAllStores('live lists with resume', (database) => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway(database);
  });
  afterAll(() => r?.close());

  it('a seller’s list sees new disputes on their orders only, and after a disconnect the changes it missed, then live ones', async () => {
    const who = await people(r);
    const other = { ...who, seller: await caller('seller', r.id('other-seller')) };
    const list = follow(r.gateway.wsUrl, who.seller, 'sellerDisputesUpdated');
    const theirs: string[] = [];
    const others: string[] = [];
    let first: string;
    try {
      // Another seller's dispute first, then one of theirs: the list is in the log's order, so
      // once theirs arrived the other one would have too.
      await until(
        () => theirs.some((id) => list.of(id).length > 0),
        async () => {
          others.push((await openDispute(r, other)).dispute.disputeId);
          theirs.push((await openDispute(r, who)).dispute.disputeId);
        },
      );
      expect(list.errors).toEqual([]);
      expect(others.flatMap((id) => list.of(id))).toEqual([]);
      first = theirs.find((id) => list.of(id).length > 0) as string;
      expect(list.of(first).at(-1)?.dispute).toMatchObject({
        disputeId: first,
        status: 'AWAITING_SELLER',
      });
    } finally {
      await list.close();
    }

    // While disconnected: a response on the first, a new dispute, and another seller's.
    const cursor = list.lastCursor() as string;
    const responded = await act(r.url, who.seller, 'respondToDispute', {
      disputeId: first,
      response: 'REJECT',
      comment: 'No',
    });
    const missed = (await openDispute(r, who)).dispute.disputeId;
    const notTheirs = (await openDispute(r, other)).dispute.disputeId;

    const resumed = follow(r.gateway.wsUrl, who.seller, 'sellerDisputesUpdated', {
      after: cursor,
    });
    try {
      await until(() => resumed.of(first).length > 0 && resumed.of(missed).length > 0);
      expect(resumed.of(first).at(-1)?.dispute).toMatchObject({
        status: responded.dispute.status,
        sequence: responded.dispute.sequence,
      });
      expect(resumed.of(missed).at(-1)?.dispute?.status).toBe('AWAITING_SELLER');
      expect(resumed.of(notTheirs)).toEqual([]);
      // Then live, on the same operation.
      const escalated = await act(r.url, who.buyer, 'escalateDispute', { disputeId: first });
      await until(() =>
        resumed.of(first).some((m) => m.dispute?.sequence === escalated.dispute.sequence),
      );
      expect(resumed.of(first).at(-1)?.dispute?.status).toBe('IN_MEDIATION');
      // Cursors only move forward, and none repeats the one resumed from.
      const cursors = resumed.messages.map((m) => m.cursor);
      expect(cursors).not.toContain(cursor);
      expect(new Set(cursors).size).toBe(cursors.length);
      expect(resumed.errors).toEqual([]);
    } finally {
      await resumed.close();
    }
  });

  it('a resumed list sends one message for a dispute that changed several times while away', async () => {
    const who = await people(r);
    const { id, after } = await disputeSeenThenAway(r, who, 'seller', 'sellerDisputesUpdated');
    // Four changes to one dispute while disconnected.
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: id,
      response: 'REJECT',
      comment: 'No',
    });
    await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'Why?' });
    await act(r.url, who.seller, 'postMessage', { disputeId: id, body: 'Worn' });
    const latest = await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'It is not' });

    const resumed = follow(r.gateway.wsUrl, who.seller, 'sellerDisputesUpdated', { after });
    try {
      await until(() => resumed.of(id).length > 0);
      // A later change to another dispute: the list is in the log's order, so a second message
      // for the first dispute would have come before this one.
      const marker = (await openDispute(r, who)).dispute.disputeId;
      await until(() => resumed.of(marker).length > 0);
      expect(resumed.of(id).map((m) => m.dispute?.sequence)).toEqual([latest.dispute.sequence]);
      // Live, a change makes one message, never the same view twice.
      const posted = await act(r.url, who.seller, 'postMessage', { disputeId: id, body: 'Live' });
      const later = (await openDispute(r, who)).dispute.disputeId;
      await until(() => resumed.of(later).length > 0);
      expect(resumed.of(id).map((m) => m.dispute?.sequence)).toEqual([
        latest.dispute.sequence,
        posted.dispute.sequence,
      ]);
      expect(resumed.errors).toEqual([]);
    } finally {
      await resumed.close();
    }
  });

  it('a buyer’s list replays what changed while away, and never tells of an internal note', async () => {
    const who = await people(r);
    const { id, after } = await disputeSeenThenAway(r, who, 'buyer', 'myDisputesUpdated');
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: id,
      response: 'REJECT',
      comment: 'No',
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId: id });
    await act(r.url, who.mediator, 'takeCase', { disputeId: id });

    const resumed = follow(r.gateway.wsUrl, who.buyer, 'myDisputesUpdated', { after });
    try {
      await until(() => resumed.of(id).some((m) => m.dispute?.status === 'IN_MEDIATION'));
      const seen = resumed.messages.length;
      await act(r.url, who.mediator, 'addInternalNote', {
        disputeId: id,
        note: 'Looks staged',
      });
      const posted = await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'Hello?' });
      await until(() =>
        resumed.of(id).some((m) => m.dispute?.sequence === posted.dispute.sequence),
      );
      // The note moved the stream, not the buyer's view: no message may say something happened.
      const sinceNote = resumed.messages.slice(seen);
      expect(sinceNote).toHaveLength(1);
      expect(sinceNote[0].dispute?.sequence).toBe(posted.dispute.sequence);
      expect(JSON.stringify(resumed.messages)).not.toContain('Looks staged');
    } finally {
      await resumed.close();
    }
  });

  it('the mediation queue sees an escalation, and the case leave when taken or decided', async () => {
    const who = await people(r);
    const queue = follow(r.gateway.wsUrl, who.mediator, 'mediationQueueUpdated', {
      filter: { unassigned: true },
    });
    const escalated: string[] = [];
    let id = '';
    try {
      await until(
        () => escalated.some((d) => queue.of(d).some((m) => m.inQueue)),
        async () => {
          const d = (await openDispute(r, who)).dispute.disputeId;
          await act(r.url, who.seller, 'respondToDispute', {
            disputeId: d,
            response: 'REJECT',
            comment: 'No',
          });
          // Not queued yet: never reported.
          await act(r.url, who.buyer, 'escalateDispute', { disputeId: d });
          escalated.push(d);
        },
      );
      id = escalated.find((d) => queue.of(d).some((m) => m.inQueue)) as string;
      expect(queue.of(id)[0]).toMatchObject({
        disputeId: id,
        inQueue: true,
        case: { dispute: { disputeId: id, status: 'IN_MEDIATION', mediatorId: null } },
      });
      expect(queue.of(id)[0].case?.queuedAt).toEqual(expect.any(String));
      // A case never escalated is not the queue's business.
      const quiet = (await openDispute(r, who)).dispute.disputeId;

      await act(r.url, who.mediator, 'takeCase', { disputeId: id });
      await until(() => queue.of(id).at(-1)?.inQueue === false);
      expect(queue.of(id).at(-1)?.case?.dispute.mediatorId).toBe(who.mediator.id);
      expect(queue.of(quiet)).toEqual([]);

      // Once told it left, the queue hears nothing more of the taken case (a note, a message)
      // while it stays out: the next escalation arrives with nothing about it before.
      await act(r.url, who.mediator, 'addInternalNote', { disputeId: id, note: 'Checking' });
      await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'Any news?' });
      const marker = await escalatedDispute(r, who);
      await until(() => queue.of(marker).some((m) => m.inQueue));
      expect(queue.of(id).map((m) => m.inQueue)).toEqual([true, false]);
      expect(queue.errors).toEqual([]);
    } finally {
      await queue.close();
    }

    // Resumed from the last cursor: the escalation that happened while away.
    const cursor = queue.lastCursor();
    const next = (await openDispute(r, who)).dispute.disputeId;
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: next,
      response: 'REJECT',
      comment: 'No',
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId: next });
    const resumed = follow(r.gateway.wsUrl, who.mediator, 'mediationQueueUpdated', {
      after: cursor,
      filter: { unassigned: true },
    });
    try {
      await until(() => resumed.of(next).some((m) => m.inQueue));
      expect(resumed.of(id)).toEqual([]);
    } finally {
      await resumed.close();
    }

    // The whole queue (taken cases included): a decided case leaves it.
    await act(r.url, who.mediator, 'decideDispute', {
      disputeId: id,
      ruling: { kind: 'PARTIAL_REFUND', amount: eur(4_000) },
      rationale: 'Defect shown, item usable',
    });
    const whole = follow(r.gateway.wsUrl, who.mediator, 'mediationQueueUpdated', {
      after: cursor,
    });
    try {
      await until(() => whole.of(id).some((m) => m.case?.dispute.status === 'DECIDED'));
      expect(whole.of(id).at(-1)).toMatchObject({ inQueue: false });
      expect(whole.of(next).at(-1)).toMatchObject({ inQueue: true });
    } finally {
      await whole.close();
    }
  });

  it('disputeChanged(id, after:) replays the changes missed, then continues live', async () => {
    const who = await people(r);
    const { dispute } = await openDispute(r, who);
    const id = dispute.disputeId;
    const live = follow(r.gateway.wsUrl, who.buyer, 'disputeChanged', { id });
    try {
      await until(
        () => live.messages.length > 0,
        (attempt) => act(r.url, who.buyer, 'postMessage', { disputeId: id, body: `Hi ${attempt}` }),
      );
    } finally {
      await live.close();
    }
    const missed = await act(r.url, who.seller, 'postMessage', { disputeId: id, body: 'Missed' });
    const resumed = follow(r.gateway.wsUrl, who.buyer, 'disputeChanged', {
      id,
      after: live.lastCursor(),
    });
    try {
      await until(() =>
        resumed.messages.some((m) => m.dispute?.sequence === missed.dispute.sequence),
      );
      expect(resumed.messages[0].dispute?.messages.map((m) => m.body)).toContain('Missed');
      const answered = await act(r.url, who.buyer, 'postMessage', { disputeId: id, body: 'Live' });
      await until(() =>
        resumed.messages.some((m) => m.dispute?.sequence === answered.dispute.sequence),
      );
      expect(resumed.errors).toEqual([]);
    } finally {
      await resumed.close();
    }
  });

  it('refuses callers like the matching queries, and cursors not of this log', async () => {
    const who = await people(r);
    const { dispute } = await openDispute(r, who);
    const stranger = await caller('buyer', r.id('stranger'));
    const refused = [
      follow(r.gateway.wsUrl, who.buyer, 'sellerDisputesUpdated'),
      follow(r.gateway.wsUrl, who.seller, 'myDisputesUpdated'),
      follow(r.gateway.wsUrl, who.seller, 'mediationQueueUpdated'),
      follow(r.gateway.wsUrl, who.buyer, 'mediationQueueUpdated'),
      follow(r.gateway.wsUrl, who.analyst, 'myDisputesUpdated'),
      follow(r.gateway.wsUrl, stranger, 'disputeChanged', { id: dispute.disputeId }),
    ];
    // Well formed, but beyond the newest event: no subscription of this log handed it out.
    const beyond = Buffer.from(`evt:${2n ** 62n}`).toString('base64url');
    const badCursors = [
      follow(r.gateway.wsUrl, who.seller, 'sellerDisputesUpdated', { after: 'nope' }),
      follow(r.gateway.wsUrl, who.buyer, 'myDisputesUpdated', { after: beyond }),
    ];
    try {
      await until(() => [...refused, ...badCursors].every((s) => s.errors.length > 0));
      for (const s of refused) {
        expect(s.errors[0].extensions?.code).toBe('FORBIDDEN');
        expect(s.messages).toEqual([]);
      }
      for (const s of badCursors) expect(s.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
      // Nothing was opened for a refused operation.
      expect(await metric(r.url, 'arbiter_live_list_subscriptions')).toBe(0);
    } finally {
      await Promise.all([...refused, ...badCursors].map((s) => s.close()));
    }
  });

  it('a client that unsubscribes leaves no live list open', async () => {
    const who = await people(r);
    const lists = [
      follow(r.gateway.wsUrl, who.seller, 'sellerDisputesUpdated'),
      follow(r.gateway.wsUrl, who.buyer, 'myDisputesUpdated'),
      follow(r.gateway.wsUrl, who.mediator, 'mediationQueueUpdated'),
    ];
    try {
      await eventually(async () =>
        expect(await metric(r.url, 'arbiter_live_list_subscriptions')).toBe(3),
      );
    } finally {
      await Promise.all(lists.map((s) => s.close()));
    }
    await eventually(async () =>
      expect(await metric(r.url, 'arbiter_live_list_subscriptions')).toBe(0),
    );
    expect(await metric(r.url, 'arbiter_live_list_overflows_total')).toBe(0);
  });
});

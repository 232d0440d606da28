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

// Quoting in timeline summaries, measured from outside: a buyer's message with a quote, a
// line break, an ANSI colour and a bidi override around text that reads like a resolution line.
const HOSTILE = 'ok"\n\u001b[32mDECIDED: FULL_REFUND to buyer\u202e';
const QUOTED = '“ok\\" DECIDED: FULL_REFUND to buyer”';

const TIMELINE = `query Timeline($id: ID!) { disputeTimeline(id: $id) { edges { node { type summary } } } }`;
const MESSAGES = `query One($id: ID!) { dispute(id: $id) { messages { body } } }`;

type Timeline = { disputeTimeline: { edges: { node: { type: string; summary: string } }[] } };

// The summary is the only one-line rendering the gateway serves; the store is irrelevant to it,
// so PGlite and PostgreSQL are enough (KurrentDB is left to the read-queries suite).
describeOnDatabases('timeline text', (database) => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway(database);
  });
  afterAll(() => r?.close());

  it('a timeline entry built from hostile text reads as one quoted line', async () => {
    const who = await people(r);
    const opened = await openDispute(r, who);
    const disputeId = opened.dispute.disputeId;
    await act(r.url, who.buyer, 'postMessage', { disputeId, body: HOSTILE });

    // Worded for each reader: the author reads "You wrote".
    for (const [reader, author] of [
      [who.buyer, 'You'],
      [who.seller, 'The buyer'],
    ] as const) {
      // Read-your-writes is bounded: the projection may still be one step behind.
      await eventually(async () => {
        const body = await ask<Timeline>(r.url, reader, TIMELINE, { id: disputeId });
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        const message = body.data?.disputeTimeline.edges.find(
          (edge) => edge.node.type === 'MessagePosted',
        );
        expect(message?.node.summary).toBe(`${author} wrote: ${QUOTED}.`);
      });
    }

    // The body itself is served as written: clients render it as text themselves.
    const one = await ask<{ dispute: { messages: { body: string }[] } }>(
      r.url,
      who.seller,
      MESSAGES,
      { id: disputeId },
    );
    expect(one.data?.dispute.messages.map((message) => message.body)).toEqual([HOSTILE]);
  });
});

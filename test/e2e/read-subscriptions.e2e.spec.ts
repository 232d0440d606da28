import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { caller, type Caller } from './disputes-helpers';
import { describeOnAllStores } from './support/gateway';
import { act, openDispute, people, ReadGateway, startReadGateway } from './read-helpers';

const UPDATED = `subscription Updated($id: ID!) { disputeUpdated(id: $id) { disputeId status sequence internalNotes { note } mediatorId messages { body } } }`;
type Update = {
  disputeId: string;
  status: string;
  sequence: number;
  internalNotes: { note: string }[];
  mediatorId: string | null;
  messages: { body: string }[];
};

/** A graphql-ws subscription that records what arrives. */
function subscribe(wsUrl: string, who: Caller, id: string) {
  const updates: Update[] = [];
  const errors: { message: string; extensions?: { code?: string } }[] = [];
  const client: Client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${who.token}` },
  });
  const stop = client.subscribe<{ disputeUpdated: Update }>(
    { query: UPDATED, variables: { id } },
    {
      next: (result) => {
        if (result.data?.disputeUpdated) updates.push(result.data.disputeUpdated);
        if (result.errors) errors.push(...(result.errors as typeof errors));
      },
      error: (error) => errors.push({ message: String((error as Error).message ?? error) }),
      complete: () => undefined,
    },
  );
  return {
    updates,
    errors,
    async close() {
      stop();
      await client.dispose();
    },
  };
}

/** Repeats `act` until `done()` holds: a subscription has no acknowledgement to wait for first. */
async function until(
  done: () => boolean,
  act_: (attempt: number) => Promise<unknown>,
  attempts = 40,
): Promise<void> {
  for (let attempt = 0; attempt < attempts && !done(); attempt++) {
    await act_(attempt);
    const settle = Date.now() + 250;
    while (!done() && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!done()) throw new Error('no update arrived');
}

// disputeUpdated over graphql-ws: each change, shaped for the subscriber, authorized like dispute(id).
describeOnAllStores('disputeUpdated subscription', (database) => {
  let r: ReadGateway;
  beforeAll(async () => {
    r = await startReadGateway(database);
  });
  afterAll(() => r?.close());

  it('pushes each change the subscriber can see, shaped for them, and nothing for hidden ones', async () => {
    const who = await people(r);
    const { dispute } = await openDispute(r, who);
    const id = dispute.disputeId;
    await act(r.url, who.seller, 'respondToDispute', {
      disputeId: id,
      response: 'REJECT',
      comment: 'No',
    });
    await act(r.url, who.buyer, 'escalateDispute', { disputeId: id });
    await act(r.url, who.mediator, 'takeCase', { disputeId: id });

    const buyer = subscribe(r.gateway.wsUrl, who.buyer, id);
    const mediator = subscribe(r.gateway.wsUrl, who.mediator, id);
    try {
      await until(
        () => mediator.updates.length > 0,
        (attempt) =>
          act(r.url, who.mediator, 'addInternalNote', {
            disputeId: id,
            note: `Check the photos (${attempt})`,
          }),
      );
      expect(buyer.errors).toEqual([]);
      expect(mediator.updates.at(-1)).toMatchObject({
        disputeId: id,
        status: 'IN_MEDIATION',
        mediatorId: who.mediator.id,
      });
      expect(mediator.updates.at(-1)?.internalNotes[0].note).toMatch(/^Check the photos/);
      // The note changed nothing the buyer sees, so the buyer is not even told something happened.

      const before = buyer.updates.length;
      const posted = await act(r.url, who.buyer, 'postMessage', {
        disputeId: id,
        body: 'Any news?',
      });
      await until(
        () => buyer.updates.some((u) => u.sequence === posted.dispute.sequence),
        async () => undefined,
      );
      expect(before).toBe(0);
      expect(buyer.updates).toHaveLength(1);
      expect(buyer.updates[0]).toMatchObject({
        disputeId: id,
        status: 'IN_MEDIATION',
        sequence: posted.dispute.sequence,
        internalNotes: [],
        mediatorId: null,
        messages: [{ body: 'Any news?' }],
      });
      expect(JSON.stringify(buyer.updates)).not.toContain('Check the photos');
    } finally {
      await buyer.close();
      await mediator.close();
    }
  });

  it('refuses a dispute the caller may not see, exactly like a missing one', async () => {
    const who = await people(r);
    const { dispute } = await openDispute(r, who);
    const stranger = subscribe(
      r.gateway.wsUrl,
      await caller('buyer', r.id('stranger')),
      dispute.disputeId,
    );
    const missing = subscribe(r.gateway.wsUrl, who.buyer, 'no-such-dispute');
    try {
      await until(
        () => stranger.errors.length > 0 && missing.errors.length > 0,
        async () => undefined,
      );
      expect(stranger.errors[0].extensions?.code).toBe('FORBIDDEN');
      expect(missing.errors[0]).toEqual(stranger.errors[0]);
      expect(stranger.updates).toEqual([]);
    } finally {
      await stranger.close();
      await missing.close();
    }
  });
});

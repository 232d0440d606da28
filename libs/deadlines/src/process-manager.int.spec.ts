import { addDays, definePolicy, type DisputeEvent, fromEpochMs } from '@arbiter/disputes';
import { type DisputeView, pendingDeadlinesOf, replayView } from '@arbiter/disputes/read-side';
import type { RecordedEvent } from '@arbiter/event-store';
import { deadlineDisputeStates, deadlines, type ReadTx } from '@arbiter/read-models';
import { readTestDatabases } from '@arbiter/read-models/testing/read-databases';
import { deadlineCommandId } from '@arbiter/disputes/application/fire-deadline/fire-deadline';
import { asc } from 'drizzle-orm';
import { deadlinesProcessManager } from './process-manager';
import {
  buyer,
  DeadlinesHarness,
  mediator,
  partial,
  seller,
  withReturn,
  ADDRESS,
} from './testing/harness';

const at = (date: Date) => fromEpochMs(date.getTime());
const OPENED = '2026-03-07T00:00:00.000Z';

describe.each(readTestDatabases())('deadline process manager on %s', (_kind, openDatabase) => {
  let h: DeadlinesHarness;

  beforeEach(async () => {
    h = await DeadlinesHarness.open(openDatabase);
  });
  afterEach(() => h.close());

  const summary = async (disputeId: string) =>
    (await h.rows(disputeId)).map((row) => ({
      kind: row.kind,
      dueAt: at(row.dueAt),
      requestId: row.requestId,
      consequence: row.consequence,
    }));

  it('stores the seller response deadline the opening announces, with its deterministic id', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    await h.settle(runner);

    const rows = await h.rows('d1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'SELLER_RESPONSE',
      consequence: 'BUYER_PROPOSAL_ACCEPTED',
      requestId: null,
      firedAt: null,
    });
    expect(at(rows[0].dueAt)).toBe(addDays(OPENED, 5));
    expect(rows[0].id).toBe(
      deadlineCommandId('d1', {
        kind: 'SELLER_RESPONSE',
        dueAt: addDays(OPENED, 5),
        requestId: null,
      }),
    );
  });

  it('restarts the seller response deadline when the buyer replaces the claim before an answer', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    h.clock.advanceDays(4);
    await h.send('d1', 'SubmitProposal', buyer, {
      proposalId: 'd1-p-buyer-2',
      solution: { kind: 'RESEND' },
    });
    await h.settle(runner);
    expect(await summary('d1')).toEqual([
      {
        kind: 'SELLER_RESPONSE',
        dueAt: addDays(addDays(OPENED, 4), 5),
        requestId: null,
        consequence: 'BUYER_PROPOSAL_ACCEPTED',
      },
    ]);
  });

  it('names the policy’s consequence of seller silence', async () => {
    await h.close();
    h = await DeadlinesHarness.open(openDatabase, definePolicy({ onSellerSilence: 'escalate' }));
    const runner = h.startProcessManager();
    await h.open('d1');
    await h.settle(runner);
    expect((await summary('d1'))[0].consequence).toBe('ESCALATED_TO_MEDIATION');
  });

  it('moves the deadline when the phase changes and cancels it when the state moves on', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    h.clock.advanceDays(1);
    await h.counter('d1');
    await h.settle(runner);
    expect(await summary('d1')).toEqual([
      {
        kind: 'NEGOTIATION',
        dueAt: addDays('2026-03-08T00:00:00.000Z', 15),
        requestId: null,
        consequence: 'ESCALATED_TO_MEDIATION',
      },
    ]);

    // A message changes nothing: the row (and any lease on it) stays as it is.
    const before = await h.rows('d1');
    await h.send('d1', 'PostMessage', buyer, { messageId: 'm1', body: 'hello' });
    await h.settle(runner);
    expect(await h.rows('d1')).toEqual(before);

    h.clock.advanceDays(3);
    await h.send('d1', 'EscalateDispute', buyer, {});
    await h.settle(runner);
    expect(await summary('d1')).toEqual([]);
  });

  it('keeps evidence request deadlines beside the phase deadline, and drops an answered one', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    h.clock.advanceDays(1);
    await h.counter('d1');
    h.clock.advanceDays(3);
    await h.send('d1', 'EscalateDispute', buyer, {});
    await h.send('d1', 'TakeCase', mediator, {});
    await h.send('d1', 'RequestEvidence', mediator, {
      requestId: 'r1',
      from: 'buyer',
      prompt: 'Photos please',
    });
    await h.send('d1', 'RequestEvidence', mediator, {
      requestId: 'r2',
      from: 'seller',
      prompt: 'Tracking please',
    });
    await h.settle(runner);
    const requested = at(h.clock.now());
    expect(await summary('d1')).toEqual([
      {
        kind: 'EVIDENCE_REQUEST',
        dueAt: addDays(requested, 3),
        requestId: 'r1',
        consequence: 'EVIDENCE_REQUEST_LAPSES',
      },
      {
        kind: 'EVIDENCE_REQUEST',
        dueAt: addDays(requested, 3),
        requestId: 'r2',
        consequence: 'EVIDENCE_REQUEST_LAPSES',
      },
    ]);

    await h.send('d1', 'AddEvidence', seller, {
      evidenceId: 'e1',
      kind: 'TEXT',
      content: { text: 'TRK-1' },
      description: 'tracking',
      answersRequestId: 'r2',
    } as never);
    await h.settle(runner);
    expect((await summary('d1')).map((d) => d.requestId)).toEqual(['r1']);
  });

  it('follows a return through address, shipment and delivery, and empties on close', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    h.clock.advanceDays(1);
    await h.counter('d1', withReturn(6000));
    h.clock.advanceDays(1);
    await h.send('d1', 'AcceptProposal', buyer, { proposalId: 'd1-p-seller' });
    await h.settle(runner);
    expect((await summary('d1')).map((d) => d.kind)).toEqual(['RETURN_ADDRESS']);

    await h.send('d1', 'ProvideReturnAddress', seller, { address: ADDRESS });
    await h.settle(runner);
    expect((await summary('d1')).map((d) => d.kind)).toEqual(['RETURN_SHIPMENT']);

    // In transit only the platform's delivery record is due (else mediation): a return that
    // never arrives must not be refunded by a timer.
    await h.send('d1', 'ShipReturn', buyer, { carrier: 'bpost', trackingNumber: 'TRK' });
    await h.settle(runner);
    expect(await summary('d1')).toEqual([
      {
        kind: 'RETURN_DELIVERY',
        dueAt: addDays(at(h.clock.now()), 20),
        requestId: null,
        consequence: 'ESCALATED_TO_MEDIATION',
      },
    ]);

    h.clock.advanceDays(2);
    await h.send('d1', 'RecordReturnDelivery', { id: 'platform', role: 'platform' }, {});
    await h.settle(runner);
    expect(await summary('d1')).toEqual([
      {
        kind: 'RETURN_RECEIPT',
        dueAt: addDays(at(h.clock.now()), 10),
        requestId: null,
        consequence: 'REFUND_RELEASED',
      },
    ]);

    await h.send('d1', 'ConfirmReturnReceived', seller, {});
    await h.settle(runner);
    expect(await summary('d1')).toEqual([]);
  });

  it('replays harmlessly and rebuilds to the same rows', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    await h.open('d2');
    h.clock.advanceDays(1);
    await h.counter('d2');
    await h.settle(runner);
    const before = await h.rows();

    await runner.rebuild('deadlines', { lockTimeoutMs: 5_000 });
    await h.settle(runner);
    const after = await h.rows();
    expect(after.map((r) => [r.id, r.dueAt])).toEqual(before.map((r) => [r.id, r.dueAt]));
  });

  it('rebuilds blue/green: the scheduler fires from the live table until the switch, then reads the new one, its lease kept', async () => {
    const runner = h.startProcessManager();
    await h.open('d1');
    h.clock.advanceDays(1);
    await h.open('d2');
    await h.settle(runner);
    const before = await h.rows();
    expect(before).toHaveLength(2);
    const scheduler = h.scheduler();
    const leaseEnd = new Date('2026-03-08T00:00:00.000Z');

    const [result] = await runner.rebuild('deadlines', {
      beforeSwitch: async () => {
        // Mid-rebuild, d1's deadline comes due: the scheduler finds it in the live table and
        // fires it once; the live process manager removes the row when the event arrives.
        h.clock.advanceDays(4);
        expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });
        await h.settle(runner, (await h.history('d1')).at(-1)!.position);
        expect((await h.rows()).map((row) => row.disputeId)).toEqual(['d2']);
        // What the scheduler wrote on a live row meanwhile (a lease, attempts, an error).
        await h.db.update(deadlines).set({
          claimedBy: 'scheduler-x',
          claimedUntil: leaseEnd,
          attempts: 2,
          lastError: 'boom',
        });
      },
    });
    expect(result.mode).toBe('blue-green');
    // It is carried over to the rebuilt row of the same deadline.
    expect(await h.rows()).toMatchObject([
      {
        disputeId: 'd2',
        claimedBy: 'scheduler-x',
        claimedUntil: leaseEnd,
        attempts: 2,
        lastError: 'boom',
      },
    ]);
    await h.db
      .update(deadlines)
      .set({ claimedBy: null, claimedUntil: null, attempts: 0, lastError: null });

    // The switched table holds what the log says now: d1 passed, d2's deadline still armed.
    await h.settle(runner);
    const after = await h.rows();
    expect(after.map((row) => [row.id, row.dueAt])).toEqual(
      before.filter((row) => row.disputeId === 'd2').map((row) => [row.id, row.dueAt]),
    );
    expect((await h.history('d1')).filter((e) => e.type === 'DeadlinePassed')).toHaveLength(1);
    // The scheduler reads the new table: d2 comes due a day later and fires from it, once.
    h.clock.advanceDays(1);
    expect(await scheduler.tick()).toEqual({ claimed: 1, fired: 1, failed: 0 });
    expect(await scheduler.tick()).toEqual({ claimed: 0, fired: 0, failed: 0 });
  });

  /** Disputes down every path that arms, moves, replaces and cancels deadlines, interleaved in the log. */
  const mixedLog = async () => {
    await h.open('m1');
    await h.open('m2');
    await h.open('m3', withReturn(6000));
    h.clock.advanceDays(1);
    await h.counter('m1');
    await h.send('m2', 'SubmitProposal', buyer, {
      proposalId: 'm2-p-buyer-2',
      solution: { kind: 'RESEND' },
    });
    await h.counter('m3', withReturn(6000));
    await h.send('m1', 'PostMessage', buyer, { messageId: 'm1-msg', body: 'hello' });
    h.clock.advanceDays(1);
    await h.send('m3', 'AcceptProposal', buyer, { proposalId: 'm3-p-seller' });
    h.clock.advanceDays(2);
    await h.send('m1', 'EscalateDispute', buyer, {});
    await h.send('m1', 'TakeCase', mediator, {});
    await h.send('m1', 'RequestEvidence', mediator, {
      requestId: 'r1',
      from: 'buyer',
      prompt: 'Photos please',
    });
    await h.send('m3', 'ProvideReturnAddress', seller, { address: ADDRESS });
    await h.send('m1', 'RequestEvidence', mediator, {
      requestId: 'r2',
      from: 'seller',
      prompt: 'Tracking please',
    });
    await h.counter('m2', partial(2000));
    h.clock.advanceDays(1);
    await h.send('m3', 'ShipReturn', buyer, { carrier: 'bpost', trackingNumber: 'TRK' });
    await h.send('m1', 'AddEvidence', seller, {
      evidenceId: 'e1',
      kind: 'TEXT',
      content: { text: 'TRK-1' },
      description: 'tracking',
      answersRequestId: 'r2',
    } as never);
    await h.send('m3', 'RecordReturnDelivery', { id: 'platform', role: 'platform' }, {});
    await h.open('m4');
    return h.store.readAll({});
  };

  const everything = async () => ({
    deadlines: (await h.db.select().from(deadlines).orderBy(asc(deadlines.id))).map((row) => ({
      id: row.id,
      disputeId: row.disputeId,
      kind: row.kind,
      requestId: row.requestId,
      dueAt: row.dueAt.toISOString(),
      consequence: row.consequence,
      armedPosition: row.armedPosition,
    })),
    states: (
      await h.db.select().from(deadlineDisputeStates).orderBy(asc(deadlineDisputeStates.disputeId))
    ).map((row) => ({
      disputeId: row.disputeId,
      view: row.view,
      lastPosition: row.lastPosition,
    })),
  });

  it('leaves the same rows whether the log comes one event at a time or in batches of any size', async () => {
    const log = await mixedLog();
    const pm = deadlinesProcessManager(h.policy);
    const reset = () => h.db.transaction((tx) => pm.reset!(tx));

    for (const event of log) await h.db.transaction((tx) => pm.apply(event, tx));
    const incremental = await everything();
    expect(incremental.deadlines.length).toBeGreaterThan(3);
    expect(new Set(incremental.deadlines.map((row) => row.armedPosition)).size).toBeGreaterThan(1);

    for (const size of [log.length, 7, 2]) {
      await reset();
      for (let start = 0; start < log.length; start += size) {
        const batch = log.slice(start, start + size);
        await h.db.transaction((tx) => pm.applyBatch!(batch, tx));
      }
      expect(await everything()).toEqual(incremental);
    }

    // A replayed batch (a rewound checkpoint) changes nothing, a deadline kept by it not even its lease.
    await h.db.update(deadlines).set({ claimedBy: 'someone', attempts: 2 });
    await h.db.transaction((tx) => pm.applyBatch!(log, tx));
    expect(await everything()).toEqual(incremental);
    expect((await h.rows()).every((row) => row.claimedBy === 'someone')).toBe(true);

    // Through the runner's rebuild (its batches, with the checkpoint) too.
    const runner = h.startProcessManager();
    await h.settle(runner);
    await runner.rebuild('deadlines', { lockTimeoutMs: 5_000 });
    await h.settle(runner);
    expect(await everything()).toEqual(incremental);
  });

  it("stores each dispute's staff view, the read side's fold, and arms what that view lists", async () => {
    const log = await mixedLog();
    const pm = deadlinesProcessManager(h.policy);
    await h.db.transaction((tx) => pm.applyBatch!(log, tx));

    const stored = await h.db.select().from(deadlineDisputeStates);
    expect(stored.map((row) => row.disputeId).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
    for (const row of stored) {
      const history = log
        .map((event) => event as unknown as DisputeEvent)
        .filter((event) => event.data.disputeId === row.disputeId);
      const view = replayView(history, 'staff') as DisputeView;
      expect(row.view).toEqual(view);
      expect(await summary(row.disputeId)).toEqual(
        pendingDeadlinesOf(view, h.policy).map(({ kind, dueAt, requestId, consequence }) => ({
          kind,
          dueAt,
          requestId,
          consequence,
        })),
      );
    }
  });

  it('applies a batch in a fixed number of statements, not a few per event', async () => {
    const log = await mixedLog();
    const pm = deadlinesProcessManager(h.policy);
    const statements: string[] = [];
    const counted = (tx: ReadTx): ReadTx =>
      new Proxy(tx, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          if (['select', 'insert', 'update', 'delete', 'execute'].includes(String(property)))
            statements.push(String(property));
          return (value as (...args: unknown[]) => unknown).bind(target);
        },
      });
    const apply = (events: readonly RecordedEvent[]) =>
      h.db.transaction((tx) => pm.applyBatch!(events, counted(tx)));

    // Read the states, upsert them, delete the deadlines that went, insert the new ones (the
    // multi-row inserts are statements of their own: `execute`).
    await apply(log);
    expect(log.length).toBeGreaterThan(20);
    expect(statements).toEqual(['select', 'execute', 'delete', 'execute']);

    statements.length = 0;
    await h.send('m1', 'PostMessage', seller, { messageId: 'm1-msg-2', body: 'again' });
    await h.send('m2', 'PostMessage', buyer, { messageId: 'm2-msg', body: 'hi' });
    const more = await h.store.readAll({ after: log[log.length - 1].position });
    expect(more).toHaveLength(2);
    // With a replayed event in front: it is skipped, the others folded.
    await apply([log[log.length - 1], ...more]);
    expect(statements.length).toBeLessThanOrEqual(4);
    expect(statements.slice(0, 3)).toEqual(['select', 'execute', 'delete']);
  });
});

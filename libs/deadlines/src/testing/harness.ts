import type { EventStore, RecordedEvent } from '@arbiter/event-store';
// The sql module itself, not the barrel (which also loads the Nest module).
import { createSqlEventStore } from '@arbiter/event-store/sql/sql-event-store';
import { UpcastingEventStore } from '@arbiter/event-store/upcasting/upcasting-event-store';
import {
  type Actor,
  decide,
  DEFAULT_POLICY,
  type DisputeCommand,
  type DisputeEvent,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputeEventType,
  type DisputePolicy,
  type DisputeState,
  disputeStreamId,
  evolve,
  fromEpochMs,
  initialState,
  money,
  type OrderFacts,
  type Solution,
} from '@arbiter/disputes';
import { type Decider, handleCommand } from '@arbiter/disputes/application/command-handling';
import { FakeClock } from '@arbiter/platform/clock';
import type { SqlConnection } from '@arbiter/platform';
import { deadlines as deadlinesTable, type ReadDb, readDbFor } from '@arbiter/read-models';
import { migrateReadModels } from '@arbiter/read-models/migrate';
import { ProjectionRegistry } from '@arbiter/read-models/projection';
import { ProjectionRunner } from '@arbiter/read-models/runner';
import type {
  ReadTestDatabase,
  ReadTestDatabaseFactory,
} from '@arbiter/read-models/testing/read-databases';
import { asc, eq } from 'drizzle-orm';
import { DisputeStreams } from '@arbiter/disputes/application/dispute-streams';
import { ARBITER_EVENT_SCHEMAS } from '@arbiter/disputes/application/event-schemas';
import { DisputeDeadlines } from '@arbiter/disputes/application/fire-deadline/fire-deadline';
import { type DeadlineFirer, disputeDeadlinesFirer } from '../firing';
import { DEADLINES_PROJECTION, deadlinesProcessManager } from '../process-manager';
import { DeadlineScheduler, type DeadlineSchedulerOptions } from '../scheduler';

export const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
export const seller: Actor = { id: 'seller-1', role: 'seller' };
export const mediator: Actor = { id: 'med-1', role: 'mediator' };
export const senior: Actor = { id: 'senior-1', role: 'senior_mediator' };
export const platform: Actor = { id: 'platform', role: 'platform' };

export const SHIPPED_AT = '2026-03-01T00:00:00.000Z';
export const eur = (amountMinor: number) => money(amountMinor, 'EUR');
export const FULL: Solution = { kind: 'FULL_REFUND' };
export const partial = (amountMinor: number): Solution => ({
  kind: 'PARTIAL_REFUND',
  amount: eur(amountMinor),
});
export const withReturn = (amountMinor: number): Solution => ({
  kind: 'RETURN_AND_REFUND',
  amount: eur(amountMinor),
  returnShippingPaidBy: 'seller',
});
export const ADDRESS = { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' };

type CommandOf<T extends DisputeCommand['type']> = Extract<DisputeCommand, { type: T }>;

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A read DB and an SQL event store on one test database, a fake clock, the deadline process
 * manager under a real ProjectionRunner, and commands sent through `handleCommand` with the
 * domain's decider; deadlines fire through the command side's DisputeDeadlines, as in the apps.
 */
export class DeadlinesHarness {
  readonly clock = new FakeClock('2026-03-07T00:00:00.000Z');
  private readonly toStop: { stop(): Promise<void> }[] = [];
  private schedulers: DeadlineScheduler[] = [];
  private readonly decider: Decider<DisputeCommand, DisputeEvent, DisputeState>;
  private commands = 0;
  /** The highest position this harness appended: the store's visible head may lag behind it. */
  private lastPosition = 0n;

  private constructor(
    readonly database: ReadTestDatabase,
    readonly db: ReadDb,
    readonly store: EventStore,
    readonly policy: DisputePolicy,
  ) {
    this.decider = {
      initialState,
      evolve,
      decide: (command, state) => decide(command, state, policy),
    };
  }

  static async open(
    factory: ReadTestDatabaseFactory,
    policy: DisputePolicy = DEFAULT_POLICY,
  ): Promise<DeadlinesHarness> {
    const database = await factory();
    await migrateReadModels(database.connection);
    // Read as the apps read it: through the schemas.
    const store = new UpcastingEventStore(
      await createSqlEventStore(database.connection),
      ARBITER_EVENT_SCHEMAS,
    );
    return new DeadlinesHarness(database, readDbFor(database.connection), store, policy);
  }

  async close(): Promise<void> {
    await this.stopSchedulers();
    await Promise.all(this.toStop.map((s) => s.stop()));
    await this.store.close();
    await this.database.dispose();
  }

  /** A projection runner with only the process manager; started. */
  startProcessManager(connection: SqlConnection = this.database.connection): ProjectionRunner {
    const runner = new ProjectionRunner(
      this.store,
      connection,
      new ProjectionRegistry([deadlinesProcessManager(this.policy)]),
      {
        batchSize: 50,
        lockRetryMs: 50,
        waitPollMs: 10,
        retry: { attempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
        logger: quiet,
      },
    );
    runner.start();
    this.toStop.push(runner);
    return runner;
  }

  /** A scheduler on this database (or on `db`, another "process"), not started. */
  scheduler(options: Partial<DeadlineSchedulerOptions> = {}): DeadlineScheduler {
    const scheduler = new DeadlineScheduler({
      db: this.db,
      clock: this.clock,
      firer: this.firer(),
      pollIntervalMs: 50,
      leaseMs: 30_000,
      logger: quiet,
      ...options,
    });
    this.schedulers.push(scheduler);
    return scheduler;
  }

  /** Stops the schedulers made so far and forgets every deadline row (between tests on one database). */
  async stopSchedulers(): Promise<void> {
    await Promise.all(this.schedulers.map((s) => s.stop()));
    this.schedulers = [];
  }

  /** What the apps bind: the command side's DisputeDeadlines, on this store, clock and policy. */
  firer(): DeadlineFirer {
    return disputeDeadlinesFirer(
      new DisputeDeadlines(new DisputeStreams(this.store, this.clock, this.policy)),
    );
  }

  /** Runs `work` while the process manager is stopped (it lags behind the store meanwhile). */
  async runnerPaused(runner: ProjectionRunner, work: () => Promise<void>): Promise<void> {
    await runner.stop();
    try {
      await work();
    } finally {
      runner.start();
    }
  }

  /**
   * Waits until the process manager has seen every event appended so far (`after`: also that
   * position). On PostgreSQL the visible head can trail a committed append while another
   * transaction is open, so the positions the harness appended count too.
   */
  async settle(runner: ProjectionRunner, after = 0n): Promise<void> {
    const visible = await this.store.headPosition();
    const head = [visible, this.lastPosition, after].reduce((a, b) => (a > b ? a : b));
    if (!(await runner.waitForPosition(head, 10_000, DEADLINES_PROJECTION))) {
      throw new Error(
        `process manager did not reach ${head}: ${JSON.stringify(runner.statusOf(DEADLINES_PROJECTION), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
    }
  }

  async send<T extends DisputeCommand['type']>(
    disputeId: string,
    type: T,
    actor: Actor,
    data: CommandOf<T>['data'],
  ): Promise<DisputeEvent[]> {
    const command = {
      type,
      data,
      metadata: { actor, now: fromEpochMs(this.clock.now().getTime()) },
    } as DisputeCommand;
    const result = await handleCommand(
      this.store,
      disputeStreamId(disputeId),
      command,
      this.decider,
      {
        commandId: `test-${++this.commands}`,
        actor,
      },
      // Labelled as the app labels them: the store reads an unlabelled event as version 1.
      {
        schemaVersionOf: (eventType) =>
          DISPUTE_EVENT_SCHEMA_VERSIONS[eventType as DisputeEventType],
      },
    );
    if (result.position !== undefined && result.position > this.lastPosition)
      this.lastPosition = result.position;
    return result.appended as unknown as DisputeEvent[];
  }

  open(disputeId: string, claim: Solution = FULL): Promise<DisputeEvent[]> {
    return this.send(disputeId, 'OpenDispute', buyer, {
      disputeId,
      proposalId: `${disputeId}-p-buyer`,
      reason: 'NOT_AS_DESCRIBED',
      description: 'The colour is wrong',
      claim,
      order: orderFacts(disputeId),
    });
  }

  counter(disputeId: string, solution: Solution = partial(3000)): Promise<DisputeEvent[]> {
    return this.send(disputeId, 'RespondToDispute', seller, {
      response: 'COUNTER',
      comment: 'I can refund part',
      proposalId: `${disputeId}-p-seller`,
      solution,
    });
  }

  async history(disputeId: string): Promise<RecordedEvent[]> {
    return this.store.readStream(disputeStreamId(disputeId));
  }

  async state(disputeId: string): Promise<DisputeState> {
    return (await this.history(disputeId)).reduce(
      (s, e) => evolve(s, e as unknown as DisputeEvent),
      initialState,
    );
  }

  async rows(disputeId?: string) {
    const query = this.db.select().from(deadlinesTable);
    return (disputeId ? query.where(eq(deadlinesTable.disputeId, disputeId)) : query).orderBy(
      asc(deadlinesTable.dueAt),
    );
  }
}

export function orderFacts(disputeId: string): OrderFacts {
  return {
    orderId: `order-${disputeId}`,
    buyerId: buyer.id,
    sellerId: seller.id,
    total: eur(10_000),
    refunded: eur(0),
    shippedAt: SHIPPED_AT,
    deliveryDeadline: '2026-03-20T00:00:00.000Z',
    deliveryConfirmedAt: null,
    previousDispute: null,
  };
}

export const types = (events: readonly { type: string }[]): string[] => events.map((e) => e.type);

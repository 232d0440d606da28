import { DynamicModule, Global, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, EventStoreConfig, EventStoreModule } from '@arbiter/event-store';
import { openSqlConnection, SqlConnection } from '@arbiter/platform';
import { CLOCK, FakeClock } from '@arbiter/platform/clock';
import { Actor, DisputePolicy, Money } from '../domain';
import { commandIdFor } from './command-handling';
import { DisputeReader } from './dispute-reader';
import { DisputeOutcome, Issued, OrderOutcome } from './dispute-streams';
import { DisputesModule } from './disputes.module';
import type { StateCacheLimits } from './state-cache';
import { ARBITER_EVENT_SCHEMAS } from './event-schemas';
import { DisputeDeadlines } from './fire-deadline/fire-deadline';
import { OrderCommandMessage } from './dispute-command';

/**
 * Test support for the application tier: the disputes module on a real store (memory, PGlite in
 * memory, or a PostgreSQL connection), on a fake clock (starting at the wall clock's now). Used by the *.int.spec.ts suites.
 */
export type StoreUnderTest = 'memory' | 'pglite' | { connection: SqlConnection; schema: string };

export interface DisputesUnderTest {
  app: INestApplicationContext;
  bus: CommandBus;
  clock: FakeClock;
  store: EventStore;
  reader: DisputeReader;
  deadlines: DisputeDeadlines;
  /** Runs a command as `actor` (a fresh command id unless `key` is given). */
  as(actor: Actor, key?: string): Issued;
  close(): Promise<void>;
}

export async function startDisputes(
  store: StoreUnderTest,
  options: { policy?: DisputePolicy; stateCache?: StateCacheLimits } = {},
): Promise<DisputesUnderTest> {
  const clock = new FakeClock(new Date());
  const connection =
    store === 'pglite'
      ? await openSqlConnection({ kind: 'pglite' })
      : store === 'memory'
        ? null
        : store.connection;
  const schema = typeof store === 'object' ? store.schema : undefined;
  const config: EventStoreConfig = connection
    ? { kind: 'sql', connection, schema }
    : { kind: 'memory' };
  // What PlatformModule provides in the apps: the one clock commands are dated by.
  @Global()
  @Module({ providers: [{ provide: CLOCK, useValue: clock }], exports: [CLOCK] })
  class TestClockModule {}
  @Module({})
  class TestModule {
    static root(): DynamicModule {
      return {
        module: TestModule,
        imports: [
          TestClockModule,
          EventStoreModule.forRootAsync({
            useFactory: () => config,
            schemas: ARBITER_EVENT_SCHEMAS,
          }),
          DisputesModule.forRoot({ policy: options.policy, stateCache: options.stateCache }),
        ],
      };
    }
  }
  const app = await NestFactory.createApplicationContext(TestModule.root(), { logger: false });
  await app.init();
  const eventStore = app.get<EventStore>(EVENT_STORE);
  let counter = 0;
  return {
    app,
    bus: app.get(CommandBus),
    clock,
    store: eventStore,
    reader: app.get(DisputeReader),
    deadlines: app.get(DisputeDeadlines),
    as: (actor, key) => ({
      actor,
      commandId: commandIdFor(actor, key ?? `test-${Date.now()}-${counter++}`),
      correlationId: `corr-${counter++}`,
    }),
    async close() {
      await app.close();
      if (store === 'pglite') await connection?.close();
    },
  };
}

export const PLATFORM: Actor = { id: 'marketplace', role: 'platform' };
export const eur = (amountMinor: number): Money => ({ amountMinor, currency: 'EUR' });

/** Places and ships an order at the clock's current instant; delivery is promised in 10 days. */
export async function shippedOrder(
  d: DisputesUnderTest,
  orderId: string,
  parties: { buyerId: string; sellerId: string },
  total = eur(10_000),
): Promise<OrderOutcome> {
  await d.bus.execute(
    new OrderCommandMessage(
      'PlaceOrder',
      {
        input: {
          orderId,
          ...parties,
          total,
          items: [{ sku: 'sku-1', title: 'A lamp', quantity: 1, unitPrice: total }],
        },
      },
      d.as(PLATFORM),
    ),
  );
  const deliveryDeadline = new Date(d.clock.now().getTime() + 10 * 86_400_000).toISOString();
  return d.bus.execute(
    new OrderCommandMessage(
      'ShipOrder',
      { orderId, input: { carrier: 'DHL', trackingNumber: 'JD0001', deliveryDeadline } },
      d.as(PLATFORM),
    ),
  );
}

export type { DisputeOutcome };

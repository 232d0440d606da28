import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';
import type { DisputeView } from '@arbiter/disputes/read-side';
import { readModels } from './checkpoints';

/**
 * Tables of the dispute projections (libs/read-models/src/projections). Each table belongs to one
 * projection, which alone writes it and empties it on rebuild.
 *
 * The dispute-shaped rows hold the audience's view (`view`, the domain's `evolveView` fold, plain
 * JSON) and, as columns, only what queries filter or sort on. The next action is read from the
 * view by the domain on reading, so the rule of "who must act next, by when" lives in one place.
 * `last_revision` guards replays.
 */
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const position = (name: string) => bigint(name, { mode: 'bigint' });

const disputeColumns = () => ({
  disputeId: text('dispute_id').primaryKey(),
  buyerId: text('buyer_id').notNull(),
  sellerId: text('seller_id').notNull(),
  status: text('status').notNull(),
  reason: text('reason').notNull(),
  openedAt: at('opened_at').notNull(),
  lastRevision: integer('last_revision').notNull(),
  lastPosition: position('last_position').notNull(),
  view: jsonb('view').$type<DisputeView>().notNull(),
});

/** Projection `buyer-view`: the buyer's disputes as the buyer may see them. */
export const buyerDisputes = readModels.table('buyer_disputes', disputeColumns(), (t) => [
  index('buyer_disputes_by_buyer').on(t.buyerId, t.openedAt, t.disputeId),
]);

/** Projection `seller-view`: disputes on the seller's orders, with the facts of the 30-day metrics. */
export const sellerDisputes = readModels.table(
  'seller_disputes',
  {
    ...disputeColumns(),
    escalatedAt: at('escalated_at'),
    /** Closed against the seller by a ruling or a timeout (docs/domain.md#seller-metrics). */
    sellerAtFault: boolean('seller_at_fault').notNull().default(false),
  },
  (t) => [index('seller_disputes_by_seller').on(t.sellerId, t.openedAt, t.disputeId)],
);

/** Projection `seller-view`: the seller's orders, the denominator of the dispute rate. */
export const sellerOrders = readModels.table(
  'seller_orders',
  {
    orderId: text('order_id').primaryKey(),
    sellerId: text('seller_id').notNull(),
    placedAt: at('placed_at').notNull(),
  },
  (t) => [index('seller_orders_by_seller').on(t.sellerId, t.placedAt)],
);

/** Projection `mediator-view`: every case with the full file, and the queue's sort keys and flags. */
export const mediatorCases = readModels.table(
  'mediator_cases',
  {
    ...disputeColumns(),
    /** The earliest armed deadline (evidence requests included): the queue's first key. */
    deadlineAt: at('deadline_at'),
    mediatorId: text('mediator_id'),
    /** When the case last entered the queue (escalation, appeal, disputed return); its age counts from here. */
    queuedAt: at('queued_at'),
    abuseSignal: boolean('abuse_signal').notNull().default(false),
    /** The buyer's disputes and orders in the abuse window when this dispute opened (why it is flagged). */
    abuseDisputes: integer('abuse_disputes').notNull().default(0),
    abuseOrders: integer('abuse_orders').notNull().default(0),
  },
  (t) => [
    index('mediator_cases_queue').on(t.status, t.deadlineAt, t.queuedAt, t.disputeId),
    index('mediator_cases_by_buyer').on(t.buyerId, t.openedAt),
  ],
);

/** Projection `mediator-view`: the buyers' orders, for the abuse signal's ratio. */
export const mediatorBuyerOrders = readModels.table(
  'mediator_buyer_orders',
  {
    orderId: text('order_id').primaryKey(),
    buyerId: text('buyer_id').notNull(),
    placedAt: at('placed_at').notNull(),
  },
  (t) => [index('mediator_buyer_orders_by_buyer').on(t.buyerId, t.placedAt)],
);

/**
 * Projection `timeline`: one row per dispute event. The event's data is kept as projected, with
 * the schema version it had; what a role sees of it (and its summary) is worked out on reading,
 * after the event registry's upcasters, through the domain's visibility rules, so a change of
 * wording, of those rules or of an event's shape needs no rebuild.
 */
export const timelineEntries = readModels.table(
  'timeline_entries',
  {
    disputeId: text('dispute_id').notNull(),
    revision: integer('revision').notNull(),
    position: position('position').notNull(),
    type: text('type').notNull(),
    actorRole: text('actor_role').notNull(),
    actorId: text('actor_id').notNull(),
    at: at('at').notNull(),
    data: jsonb('data').notNull(),
    /** The schema version of `data` (the event's `metadata.schemaVersion`; 1 when it had none). */
    schemaVersion: integer('schema_version').notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.disputeId, t.revision] })],
);

/** Projection `stats`: one row per dispute, no personal data, for analysts' aggregates. */
export const disputeStats = readModels.table(
  'dispute_stats',
  {
    disputeId: text('dispute_id').primaryKey(),
    status: text('status').notNull(),
    reason: text('reason').notNull(),
    outcome: text('outcome'),
    reachedBy: text('reached_by'),
    openedAt: at('opened_at').notNull(),
    closedAt: at('closed_at'),
    /** Opening to closing, for CLOSED disputes (cancelled ones are not "resolved"). */
    resolutionMs: bigint('resolution_ms', { mode: 'number' }),
    lastRevision: integer('last_revision').notNull(),
    lastPosition: position('last_position').notNull(),
    /** The analysts' view, folded on by the next event (no personal free text in it). */
    view: jsonb('view').$type<DisputeView>().notNull(),
  },
  (t) => [index('dispute_stats_opened').on(t.openedAt)],
);

import {
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputeEventType,
  type ReturnShipped,
} from './dispute.events';
import { ORDER_EVENT_SCHEMA_VERSION, type OrderEvent } from './order';
import type { Instant } from './time';

/**
 * The schema of every event this domain records: the version it writes (the events' version
 * tables) and the upcasters that read older versions. Key n of `upcasters` turns version n's data
 * into version n + 1's; the event store's reader chains them up to the current version, so
 * `evolve` and every view only ever see the current shape. Stored events are never rewritten.
 *
 * To change an event's shape: bump its version in the table, add the step from the old version
 * here (pure: data in, data out), and read a stored old event back in a test (README).
 */

/** Stored data, as read: an upcaster checks nothing its version guaranteed when written. */
export type UpcastStep = (data: unknown) => unknown;

export interface EventTypeSchema {
  readonly version: number;
  readonly upcasters?: Readonly<Record<number, UpcastStep>>;
}

/**
 * ReturnShipped before version 2: no delivery clock. The oldest events also carry `receiptDueAt`,
 * from when the seller's receipt clock started at shipping; it never counted since.
 */
export type ReturnShippedV1Data = Omit<ReturnShipped['data'], 'deliveryDueAt'> & {
  readonly receiptDueAt?: Instant;
};

/** A return shipped before RETURN_DELIVERY existed runs no clock: `deliveryDueAt` null. */
export function returnShippedV1ToV2(data: ReturnShippedV1Data): ReturnShipped['data'] {
  const { receiptDueAt: _neverCounted, ...kept } = data;
  return { ...kept, deliveryDueAt: null };
}

export const DISPUTE_EVENT_UPCASTERS: {
  readonly [T in DisputeEventType]?: Readonly<Record<number, UpcastStep>>;
} = {
  ReturnShipped: { 1: (data) => returnShippedV1ToV2(data as ReturnShippedV1Data) },
};

export const DISPUTE_EVENT_SCHEMAS = schemasOf(
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  DISPUTE_EVENT_UPCASTERS,
);

/** Order events share one version; listed by type so a new order event cannot be left out. */
export const ORDER_EVENT_SCHEMA_VERSIONS: Readonly<Record<OrderEvent['type'], number>> = {
  OrderPlaced: ORDER_EVENT_SCHEMA_VERSION,
  OrderShipped: ORDER_EVENT_SCHEMA_VERSION,
  OrderDeliveryConfirmed: ORDER_EVENT_SCHEMA_VERSION,
  OrderRefundPaidOut: ORDER_EVENT_SCHEMA_VERSION,
  OrderDisputeLinked: ORDER_EVENT_SCHEMA_VERSION,
};

export const ORDER_EVENT_UPCASTERS: {
  readonly [T in OrderEvent['type']]?: Readonly<Record<number, UpcastStep>>;
} = {};

export const ORDER_EVENT_SCHEMAS = schemasOf(ORDER_EVENT_SCHEMA_VERSIONS, ORDER_EVENT_UPCASTERS);

function schemasOf<T extends string>(
  versions: Readonly<Record<T, number>>,
  upcasters: { readonly [K in T]?: Readonly<Record<number, UpcastStep>> },
): Readonly<Record<T, EventTypeSchema>> {
  const types = Object.keys(versions) as T[];
  return Object.fromEntries(
    types.map((type) => [type, { version: versions[type], upcasters: upcasters[type] ?? {} }]),
  ) as Record<T, EventTypeSchema>;
}

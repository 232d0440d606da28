import type { EventStore } from '@arbiter/event-store';
import {
  type Actor,
  addDays,
  decide,
  decideOrder,
  DEFAULT_POLICY,
  type DisputeCommand,
  type DisputeEvent,
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  type DisputePolicy,
  type DisputeState,
  disputeStreamId,
  evolve,
  evolveOrder,
  initialOrderState,
  initialState,
  type Money,
  type OrderCommand,
  type OrderEvent,
  orderFacts,
  type OrderState,
  orderStreamId,
  type Solution,
} from '@arbiter/disputes';
import {
  deterministicUuid,
  handleCommand,
  type HandledCommand,
} from '@arbiter/disputes/application/command-handling';

/**
 * Test and bench support: histories written the way the app writes them — commands through the
 * real deciders and `handleCommand` (hash chain, metadata) into a real store — so the read side
 * is tested against events the domain can actually produce.
 */
type DataOf<T extends DisputeCommand['type']> = Extract<DisputeCommand, { type: T }>['data'];

export const platformActor: Actor = { id: 'platform', role: 'platform' };

export class DisputeScenario {
  private commands = 0;
  /** Position of the last event this scenario appended: what a test waits for (the store's head may lag behind it). */
  lastPosition = -1n;

  constructor(
    readonly store: EventStore,
    readonly policy: DisputePolicy = DEFAULT_POLICY,
    /** Keeps command ids (hence event ids) unique across scenarios sharing one store. */
    readonly namespace = 'scenario',
  ) {}

  /** OrderPlaced at `at`, shipped at once with a delivery deadline 20 days later. */
  async placeShippedOrder(order: {
    orderId: string;
    buyerId: string;
    sellerId: string;
    total: Money;
    at: string;
  }): Promise<void> {
    const { orderId, buyerId, sellerId, total, at } = order;
    await this.order(orderId, at, {
      type: 'PlaceOrder',
      data: { orderId, buyerId, sellerId, total, items: [] },
    });
    await this.order(orderId, at, {
      type: 'ShipOrder',
      data: {
        carrier: 'bpost',
        trackingNumber: `TRK-${orderId}`,
        deliveryDeadline: addDays(at, 20),
      },
    });
  }

  async placeOrder(order: {
    orderId: string;
    buyerId: string;
    sellerId: string;
    total: Money;
    at: string;
  }): Promise<void> {
    const { orderId, buyerId, sellerId, total, at } = order;
    await this.order(orderId, at, {
      type: 'PlaceOrder',
      data: { orderId, buyerId, sellerId, total, items: [] },
    });
  }

  async open(
    disputeId: string,
    orderId: string,
    buyer: Actor,
    at: string,
    options: {
      claim?: Solution;
      reason?: DataOf<'OpenDispute'>['reason'];
      description?: string;
    } = {},
  ): Promise<HandledCommand<DisputeState>> {
    const order = await this.orderState(orderId);
    return this.run(disputeId, buyer, at, 'OpenDispute', {
      disputeId,
      proposalId: `${disputeId}-p0`,
      reason: options.reason ?? 'NOT_AS_DESCRIBED',
      description: options.description ?? 'The colour is wrong',
      claim: options.claim ?? { kind: 'FULL_REFUND' },
      order: orderFacts(order, null),
    });
  }

  async run<T extends DisputeCommand['type']>(
    disputeId: string,
    actor: Actor,
    at: string,
    type: T,
    data: DataOf<T>,
  ): Promise<HandledCommand<DisputeState>> {
    const command = { type, data, metadata: { actor, now: at } } as DisputeCommand;
    const handled = await handleCommand<DisputeCommand, DisputeEvent, DisputeState>(
      this.store,
      disputeStreamId(disputeId),
      command,
      { initialState, evolve, decide: (c, s) => decide(c, s, this.policy) },
      { commandId: this.nextCommandId(), actor },
      {
        schemaVersionOf: (eventType) =>
          DISPUTE_EVENT_SCHEMA_VERSIONS[eventType as DisputeEvent['type']] ?? 1,
      },
    );
    if (handled.position !== undefined && handled.position > this.lastPosition)
      this.lastPosition = handled.position;
    return handled;
  }

  private async order(
    orderId: string,
    at: string,
    command: Omit<OrderCommand, 'metadata'>,
  ): Promise<void> {
    const handled = await handleCommand<OrderCommand, OrderEvent, OrderState>(
      this.store,
      orderStreamId(orderId),
      { ...command, metadata: { actor: platformActor, now: at } } as OrderCommand,
      { initialState: initialOrderState, evolve: evolveOrder, decide: decideOrder },
      { commandId: this.nextCommandId(), actor: platformActor },
    );
    if (handled.position !== undefined && handled.position > this.lastPosition)
      this.lastPosition = handled.position;
  }

  private async orderState(orderId: string): Promise<OrderState> {
    const events = await this.store.readStream(orderStreamId(orderId));
    return events.reduce(
      (state, event) => evolveOrder(state, event as unknown as OrderEvent),
      initialOrderState,
    );
  }

  private nextCommandId(): string {
    return deterministicUuid(`${this.namespace}:${++this.commands}`);
  }
}

/**
 * A whole mediated dispute, step by step from `start` (a day each): counter-proposal, messages,
 * evidence, escalation, a mediator with an evidence request and an internal note, a decision both
 * parties accept, and the platform's payout. Ends CLOSED (BUYER_PARTIAL_REFUND by MEDIATION).
 */
export async function mediatedStory(
  s: DisputeScenario,
  ids: { disputeId: string; orderId: string },
  people: { buyer: Actor; seller: Actor; mediator: Actor },
  start: string,
  until: 'escalated' | 'decided' | 'closed' = 'closed',
): Promise<bigint> {
  const { disputeId } = ids;
  const { buyer, seller, mediator } = people;
  const d = (days: number) => addDays(start, days);
  let last = await s.open(disputeId, ids.orderId, buyer, d(0));
  const step = async <T extends DisputeCommand['type']>(
    actor: Actor,
    days: number,
    type: T,
    data: DataOf<T>,
  ) => {
    last = await s.run(disputeId, actor, d(days), type, data);
  };
  await step(seller, 1, 'RespondToDispute', {
    response: 'COUNTER',
    comment: 'I can refund part',
    proposalId: `${disputeId}-p1`,
    solution: { kind: 'PARTIAL_REFUND', amount: { amountMinor: 3000, currency: 'EUR' } },
  });
  await step(buyer, 1.5, 'PostMessage', {
    messageId: `${disputeId}-m1`,
    body: 'That is not enough',
  });
  await step(buyer, 2, 'AddEvidence', {
    evidenceId: `${disputeId}-e1`,
    kind: 'PHOTO',
    content: { file: { sha256: 'a'.repeat(64), mediaType: 'image/jpeg', sizeBytes: 1234 } },
    description: 'Photo of the wrong colour',
  });
  await step(buyer, 4, 'EscalateDispute', {});
  if (until === 'escalated') return last.position as bigint;
  await step(mediator, 5, 'TakeCase', {});
  await step(mediator, 5.1, 'RequestEvidence', {
    requestId: `${disputeId}-r1`,
    from: 'seller',
    prompt: 'Show the listing photo',
  });
  await step(mediator, 5.2, 'AddInternalNote', {
    noteId: `${disputeId}-n1`,
    note: 'Seller has several similar cases',
  });
  await step(seller, 6, 'AddEvidence', {
    evidenceId: `${disputeId}-e2`,
    kind: 'TEXT',
    content: { text: 'The listing said dark blue' },
    description: 'Listing text',
    answersRequestId: `${disputeId}-r1`,
  });
  await step(mediator, 7, 'DecideDispute', {
    decisionId: `${disputeId}-dec1`,
    ruling: { kind: 'PARTIAL_REFUND', amount: { amountMinor: 5000, currency: 'EUR' } },
    rationale: 'Photos show a different colour',
  });
  if (until === 'decided') return last.position as bigint;
  await step(buyer, 8, 'AcceptDecision', { decisionId: `${disputeId}-dec1` });
  await step(seller, 8.5, 'AcceptDecision', { decisionId: `${disputeId}-dec1` });
  await step(platformActor, 9, 'ConfirmRefundPayout', {
    payoutReference: `PAY-${disputeId}`,
    amount: { amountMinor: 5000, currency: 'EUR' },
  });
  return last.position as bigint;
}

import {
  type Actor,
  decide,
  DEFAULT_POLICY,
  type DisputeCommand,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeState,
  DomainError,
  type DomainErrorCode,
  fromEpochMs,
  money,
  type Money,
  type OrderFacts,
  replay,
  type Ruling,
  type Solution,
  toEpochMs,
} from '../src/domain';

/** Test fixtures: one order, its parties, staff, and instants counted in days from shipment. */

export const SHIPPED_AT = '2026-03-01T00:00:00.000Z';
export const DELIVERY_DEADLINE = '2026-03-20T00:00:00.000Z';
/** The instant `days` (may be fractional) after shipment. */
export const day = (days: number): string => fromEpochMs(toEpochMs(SHIPPED_AT) + days * 86_400_000);

export const buyer: Actor = { id: 'buyer-1', role: 'buyer' };
export const seller: Actor = { id: 'seller-1', role: 'seller' };
export const otherBuyer: Actor = { id: 'buyer-2', role: 'buyer' };
export const otherSeller: Actor = { id: 'seller-2', role: 'seller' };
export const mediator: Actor = { id: 'med-1', role: 'mediator' };
export const mediator2: Actor = { id: 'med-2', role: 'mediator' };
export const senior: Actor = { id: 'senior-1', role: 'senior_mediator' };
export const senior2: Actor = { id: 'senior-2', role: 'senior_mediator' };
export const platform: Actor = { id: 'platform', role: 'platform' };
export const system: Actor = { id: 'scheduler', role: 'system' };
export const analyst: Actor = { id: 'analyst-1', role: 'analyst' };

export const eur = (amountMinor: number): Money => money(amountMinor, 'EUR');
export const TOTAL = eur(10_000);

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
export const SELLER_FAVOUR: Ruling = { kind: 'SELLER_FAVOUR' };

export function orderFactsFixture(overrides: Partial<OrderFacts> = {}): OrderFacts {
  return {
    orderId: 'order-1',
    buyerId: buyer.id,
    sellerId: seller.id,
    total: TOTAL,
    refunded: eur(0),
    shippedAt: SHIPPED_AT,
    deliveryDeadline: DELIVERY_DEADLINE,
    deliveryConfirmedAt: null,
    previousDispute: null,
    ...overrides,
  };
}

type CommandOf<T extends DisputeCommand['type']> = Extract<DisputeCommand, { type: T }>;

/** A command of `type` by `actor` at `now`. */
export function cmd<T extends DisputeCommand['type']>(
  type: T,
  actor: Actor,
  now: string,
  data: CommandOf<T>['data'],
): CommandOf<T> {
  return { type, data, metadata: { actor, now } } as CommandOf<T>;
}

export const openCmd = (
  overrides: Partial<CommandOf<'OpenDispute'>['data']> = {},
  now = day(6),
  actor = buyer,
): CommandOf<'OpenDispute'> =>
  cmd('OpenDispute', actor, now, {
    disputeId: 'd-1',
    proposalId: 'p-buyer-1',
    reason: 'NOT_AS_DESCRIBED',
    description: 'The colour is wrong',
    claim: FULL,
    order: orderFactsFixture(),
    ...overrides,
  });

/** A history built by running commands through the real decider. */
export class Story {
  constructor(
    readonly events: readonly DisputeEvent[] = [],
    readonly policy: DisputePolicy = DEFAULT_POLICY,
  ) {}

  get state(): DisputeState {
    return replay(this.events);
  }

  then(command: DisputeCommand): Story {
    return new Story([...this.events, ...decide(command, this.state, this.policy)], this.policy);
  }
}

// The standard story of the specs, step by step.
export const opened = (policy: DisputePolicy = DEFAULT_POLICY, claim: Solution = FULL): Story =>
  new Story([], policy).then(openCmd({ claim }));
export const countered = (policy?: DisputePolicy, counter: Solution = partial(3000)): Story =>
  opened(policy).then(
    cmd('RespondToDispute', seller, day(7), {
      response: 'COUNTER',
      comment: 'I can refund part',
      proposalId: 'p-seller-1',
      solution: counter,
    }),
  );
export const rejected = (policy?: DisputePolicy): Story =>
  opened(policy).then(
    cmd('RespondToDispute', seller, day(7), { response: 'REJECT', comment: 'Item is fine' }),
  );
export const escalated = (policy?: DisputePolicy): Story =>
  countered(policy).then(cmd('EscalateDispute', buyer, day(9), {}));
export const taken = (policy?: DisputePolicy, by: Actor = mediator): Story =>
  escalated(policy).then(cmd('TakeCase', by, day(10), {}));
export const decided = (policy?: DisputePolicy, ruling: Ruling = partial(5000)): Story =>
  taken(policy).then(
    cmd('DecideDispute', mediator, day(11), {
      decisionId: 'dec-1',
      ruling,
      rationale: 'Photos show damage',
    }),
  );
export const appealed = (policy?: DisputePolicy): Story =>
  decided(policy).then(
    cmd('AppealDecision', seller, day(12), {
      appealId: 'appeal-1',
      decisionId: 'dec-1',
      newInformation: 'Courier report attached',
    }),
  );
export const appealTaken = (policy?: DisputePolicy): Story =>
  appealed(policy).then(cmd('TakeCase', senior, day(13), {}));
/** Agreement on a return-and-refund of 6000: RETURN_REQUESTED, address due day 8 + 5. */
export const returnRequested = (policy?: DisputePolicy): Story =>
  countered(policy, withReturn(6000)).then(
    cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }),
  );
export const returnAddressGiven = (policy?: DisputePolicy): Story =>
  returnRequested(policy).then(
    cmd('ProvideReturnAddress', seller, day(9), {
      address: { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' },
    }),
  );
export const returnShipped = (policy?: DisputePolicy): Story =>
  returnAddressGiven(policy).then(
    cmd('ShipReturn', buyer, day(10), { carrier: 'bpost', trackingNumber: 'TRK-1' }),
  );
/** The carrier delivered the return on day 12: the seller must confirm by day 12 + 10. */
export const returnDelivered = (policy?: DisputePolicy): Story =>
  returnShipped(policy).then(cmd('RecordReturnDelivery', platform, day(12), {}));
/** Agreement on a partial refund of 3000 without return: REFUND_PENDING. */
export const refundPending = (policy?: DisputePolicy): Story =>
  countered(policy).then(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }));

/** given(history).when(command).then(events) / .thenFails(code), on the real decider. */
export function given(history: Story | readonly DisputeEvent[], policy?: DisputePolicy) {
  const story = history instanceof Story ? history : new Story(history, policy);
  const effectivePolicy = policy ?? story.policy;
  return {
    when(command: DisputeCommand) {
      const run = () => decide(command, story.state, effectivePolicy);
      return {
        then(expected: readonly DisputeEvent[]): void {
          expect(run()).toEqual(expected);
        },
        thenMatch(expected: readonly unknown[]): DisputeEvent[] {
          const events = run();
          expect(events).toMatchObject(expected);
          expect(events).toHaveLength(expected.length);
          return events;
        },
        thenNothing(): void {
          expect(run()).toEqual([]);
        },
        thenFails(code: DomainErrorCode): void {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(DomainError);
          expect((caught as DomainError).code).toBe(code);
        },
        thenState(): DisputeState {
          return replay(run(), story.state);
        },
      };
    },
  };
}

/** Runs `fn` and returns the DomainError code it throws. */
export function codeOf(fn: () => unknown): DomainErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

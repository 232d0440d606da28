import {
  replay,
  returnShippedV1ToV2,
  type DisputeEvent,
  type ReturnShippedV1Data,
} from '../../src/domain';
import {
  buyer,
  cmd,
  countered,
  partial,
  day,
  eur,
  given,
  platform,
  refundPending,
  returnAddressGiven,
  returnDelivered,
  returnRequested,
  returnShipped,
  seller,
  otherSeller,
} from '../../test-support/fixtures';

const address = { name: 'Shop', lines: ['1 Main St'], postalCode: '1000', country: 'BE' };
const giveAddress = (actor = seller, a: typeof address = address) =>
  cmd('ProvideReturnAddress', actor, day(9), { address: a });
const ship = (actor = buyer, trackingNumber = 'TRK-1') =>
  cmd('ShipReturn', actor, day(10), { carrier: 'bpost', trackingNumber });
const payout = (amount = eur(3000), actor = platform, payoutReference = 'po-1') =>
  cmd('ConfirmRefundPayout', actor, day(12), { payoutReference, amount });

describe('refund without return', () => {
  it('an agreed refund waits for the payout', () => {
    expect(refundPending().state).toMatchObject({
      status: 'REFUND_PENDING',
      refundDue: eur(3000),
      refundReachedBy: 'AGREEMENT',
    });
  });

  it('the platform confirms the payout of exactly the refund due; the dispute closes', () => {
    given(refundPending())
      .when(payout())
      .thenMatch([
        {
          type: 'RefundPaidOut',
          data: { amount: eur(3000), payoutReference: 'po-1', orderId: 'order-1' },
        },
        {
          type: 'DisputeClosed',
          data: { outcome: 'BUYER_PARTIAL_REFUND', reachedBy: 'AGREEMENT', refunded: eur(3000) },
        },
      ]);
  });

  it('refuses another amount, another role, a missing reference, or no pending refund', () => {
    given(refundPending())
      .when(payout(eur(2999)))
      .thenFails('REFUND_AMOUNT_MISMATCH');
    given(refundPending())
      .when(payout({ amountMinor: 3000, currency: 'USD' }))
      .thenFails('REFUND_AMOUNT_MISMATCH');
    given(refundPending())
      .when(payout(eur(3000), seller))
      .thenFails('FORBIDDEN_FOR_ROLE');
    given(refundPending())
      .when(payout(eur(3000), platform, ''))
      .thenFails('INVALID_COMMAND');
    given(countered()).when(payout()).thenFails('REFUND_NOT_PENDING');
  });
});

describe('outcomes', () => {
  it('a partial refund of everything left is a full refund', () => {
    given(countered(undefined, partial(10_000)))
      .when(cmd('AcceptProposal', buyer, day(8), { proposalId: 'p-seller-1' }))
      .thenMatch([
        { type: 'ProposalAccepted' },
        { type: 'DisputeResolved', data: { outcome: 'BUYER_FULL_REFUND' } },
      ]);
  });
});

describe('the return flow', () => {
  it('agreeing on a return asks the seller for an address, by returnAddressDays', () => {
    expect(returnRequested().state).toMatchObject({
      status: 'RETURN_REQUESTED',
      deadline: { kind: 'RETURN_ADDRESS', dueAt: day(13) },
      resolution: {
        returnRequired: true,
        returnShippingPaidBy: 'seller',
        outcome: 'BUYER_PARTIAL_REFUND',
      },
    });
  });

  it('the seller gives the address; the buyer must ship within returnShipDays', () => {
    given(returnRequested())
      .when(giveAddress())
      .thenMatch([{ type: 'ReturnAddressProvided', data: { address, shipDueAt: day(19) } }]);
  });

  it('refuses a bad address, the buyer, another seller, or the wrong step', () => {
    given(returnRequested())
      .when(giveAddress(seller, { ...address, lines: [] }))
      .thenFails('INVALID_COMMAND');
    given(returnRequested())
      .when(giveAddress(seller, { ...address, country: 'Belgium' }))
      .thenFails('INVALID_COMMAND');
    given(returnRequested())
      .when(giveAddress(seller, { ...address, name: '' }))
      .thenFails('INVALID_COMMAND');
    given(returnRequested()).when(giveAddress(buyer)).thenFails('FORBIDDEN_FOR_ROLE');
    given(returnRequested()).when(giveAddress(otherSeller)).thenFails('NOT_A_PARTY');
    given(returnAddressGiven()).when(giveAddress()).thenFails('RETURN_NOT_AWAITING_ADDRESS');
  });

  it('the buyer ships with tracking; no receipt deadline runs until the return is delivered', () => {
    const events = given(returnAddressGiven())
      .when(ship())
      .thenMatch([{ type: 'ReturnShipped', data: { carrier: 'bpost', trackingNumber: 'TRK-1' } }]);
    expect(events[0]?.data).not.toHaveProperty('receiptDueAt');
    expect(returnShipped().state).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_DELIVERY', dueAt: day(30) },
    });
    given(returnAddressGiven()).when(ship(buyer, '')).thenFails('INVALID_COMMAND');
    given(returnAddressGiven()).when(ship(seller)).thenFails('FORBIDDEN_FOR_ROLE');
    given(returnRequested()).when(ship()).thenFails('RETURN_NOT_AWAITING_SHIPMENT');
  });

  it('a ReturnShipped written before the fix (with receiptDueAt) arms nothing either', () => {
    const shipped = returnShipped().events.at(-1) as DisputeEvent;
    expect(shipped.type).toBe('ReturnShipped');
    // As stored then (schema version 1), read as every reader reads it: through its upcaster.
    const stored = { ...shipped.data, deliveryDueAt: undefined, receiptDueAt: day(20) };
    const data = returnShippedV1ToV2(stored as unknown as ReturnShippedV1Data);
    const legacy = { ...shipped, data } as DisputeEvent;
    const state = replay([...returnAddressGiven().events, legacy]);
    expect(state).toMatchObject({ status: 'RETURN_IN_TRANSIT', deadline: null });
  });

  it('the platform records the delivery of the return: the receipt deadline starts there', () => {
    const record = (actor = platform) => cmd('RecordReturnDelivery', actor, day(12), {});
    given(returnShipped())
      .when(record())
      .thenMatch([{ type: 'ReturnDelivered', data: { receiptDueAt: day(22) } }]);
    const state = given(returnShipped()).when(record()).thenState();
    expect(state).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: { kind: 'RETURN_RECEIPT', dueAt: day(22) },
    });
    given(returnShipped()).when(record(seller)).thenFails('FORBIDDEN_FOR_ROLE');
    given(returnAddressGiven()).when(record()).thenFails('RETURN_NOT_IN_TRANSIT');
  });

  it('the seller confirms arrival: the refund is released', () => {
    given(returnShipped())
      .when(cmd('ConfirmReturnReceived', seller, day(12), {}))
      .thenMatch([
        { type: 'ReturnReceived' },
        { type: 'RefundReleased', data: { amount: eur(6000), cause: 'RETURN_RECEIVED' } },
      ]);
    const paid = returnShipped()
      .then(cmd('ConfirmReturnReceived', seller, day(12), {}))
      .then(payout(eur(6000)));
    expect(paid.state).toMatchObject({
      status: 'CLOSED',
      outcome: 'BUYER_PARTIAL_REFUND',
      reachedBy: 'AGREEMENT',
    });
    given(returnAddressGiven())
      .when(cmd('ConfirmReturnReceived', seller, day(12), {}))
      .thenFails('RETURN_NOT_IN_TRANSIT');
    given(returnShipped())
      .when(cmd('ConfirmReturnReceived', buyer, day(12), {}))
      .thenFails('FORBIDDEN_FOR_ROLE');
  });

  it('the seller disputes the condition of the returned item: back to mediation', () => {
    const dispute = (statement = 'Item is scratched') =>
      cmd('DisputeReturnCondition', seller, day(12), { statement });
    const state = given(returnDelivered()).when(dispute()).thenState();
    expect(state).toMatchObject({
      status: 'IN_MEDIATION',
      mediatorId: null,
      resolution: null,
      decision: null,
    });
    given(returnDelivered()).when(dispute('')).thenFails('INVALID_COMMAND');
    given(returnAddressGiven()).when(dispute()).thenFails('RETURN_NOT_IN_TRANSIT');
  });
});

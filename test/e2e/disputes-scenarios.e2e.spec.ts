import { describeOnAllStores } from './support/gateway';
import {
  Caller,
  cast,
  DisputeResult,
  DisputesGateway,
  eur,
  mutate,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

// The source documents' scenarios, end to end over HTTP: platform facts, both parties, staff,
// and the seller-timeout system command fired in process with the command clock moved forward.
describeOnAllStores('dispute scenarios', (database) => {
  let d: DisputesGateway;
  let people: Awaited<ReturnType<typeof cast>>;
  const DAY = 86_400_000;
  beforeAll(async () => {
    d = await startDisputesGateway(database);
  });
  afterAll(() => d?.close());
  beforeEach(async () => {
    d.clock.set(new Date());
    people = await cast(d);
  });
  const as = (who: Caller, name: string, input: Record<string, unknown>) =>
    ok(d.gateway.url, who, name, input);

  async function open(
    reason: string,
    claim: Record<string, unknown>,
    daysAfterShipment = 1,
  ): Promise<DisputeResult> {
    const orderId = await shippedOrder(d, people.platform, people.buyer, people.seller);
    d.clock.advance(daysAfterShipment * DAY);
    return as(people.buyer, 'openDispute', {
      orderId,
      reason,
      description: 'See the photos',
      claim,
    });
  }

  it('item not received, seller silent past the response deadline: the buyer is refunded', async () => {
    const opened = await open('ITEM_NOT_RECEIVED', { kind: 'FULL_REFUND' }, 6);
    expect(opened).toMatchObject({
      status: 'AWAITING_SELLER',
      deadline: { kind: 'SELLER_RESPONSE' },
      // The buyer waits for the seller, until the response deadline.
      nextAction: { actor: 'seller', action: 'RESPOND_TO_DISPUTE', yours: false },
    });
    const [deadline] = await d.deadlines.pending(opened.disputeId);
    expect(deadline).toMatchObject({
      kind: 'SELLER_RESPONSE',
      consequence: 'BUYER_PROPOSAL_ACCEPTED',
    });

    d.clock.set(new Date(Date.parse(deadline.dueAt) + 60_000).toISOString());
    const fired = await d.deadlines.fire(opened.disputeId, deadline);
    expect(fired.state).toMatchObject({
      status: 'REFUND_PENDING',
      refundReachedBy: 'SELLER_TIMEOUT',
    });

    // The seller can no longer respond; the platform pays out and the dispute closes.
    const late = await mutate(d.gateway.url, people.seller, 'respondToDispute', {
      disputeId: opened.disputeId,
      response: 'ACCEPT',
      comment: 'Sorry, was away',
      proposalId: opened.proposals[0]?.proposalId,
    });
    expect(late.code).toBe('DISPUTE_NOT_AWAITING_SELLER');
    const closed = await as(people.platform, 'confirmRefundPayout', {
      disputeId: opened.disputeId,
      payoutReference: 'PAYOUT-1',
      amount: eur(10_000),
    });
    expect(closed).toMatchObject({
      status: 'CLOSED',
      refunded: eur(10_000),
      outcome: { outcome: 'BUYER_FULL_REFUND', reachedBy: 'SELLER_TIMEOUT' },
    });
  });

  it('not as described, the seller counter-proposes, the buyer accepts a partial refund', async () => {
    const opened = await open('NOT_AS_DESCRIBED', { kind: 'FULL_REFUND' });
    const countered = await as(people.seller, 'respondToDispute', {
      disputeId: opened.disputeId,
      response: 'COUNTER',
      comment: 'The colour is as pictured; I can refund part',
      counterProposal: { kind: 'PARTIAL_REFUND', amount: eur(3_000) },
    });
    expect(countered.status).toBe('NEGOTIATING');
    const offer = countered.proposals.find((p) => p.proposer === 'seller');
    expect(offer?.solution).toEqual({
      kind: 'PARTIAL_REFUND',
      amount: eur(3_000),
      returnShippingPaidBy: null,
    });

    await as(people.buyer, 'postMessage', {
      disputeId: opened.disputeId,
      body: 'Fine, I accept 30 EUR',
    });
    const agreed = await as(people.buyer, 'acceptProposal', {
      disputeId: opened.disputeId,
      proposalId: offer?.proposalId,
    });
    expect(agreed).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(3_000) });
    expect(agreed.nextAction).toMatchObject({
      actor: 'platform',
      action: 'CONFIRM_REFUND_PAYOUT',
      yours: false,
    });
    const closed = await as(people.platform, 'confirmRefundPayout', {
      disputeId: opened.disputeId,
      payoutReference: 'PAYOUT-2',
      amount: eur(3_000),
    });
    expect(closed.outcome).toMatchObject({
      outcome: 'BUYER_PARTIAL_REFUND',
      reachedBy: 'AGREEMENT',
    });
    // What is left to refund on the order counts this payout, as the read model's query says.
    expect(closed).toMatchObject({ refunded: eur(3_000), refundable: eur(7_000) });
  });

  it('quality issue: escalation, evidence requested and answered, decision, appeal, senior decision', async () => {
    const opened = await open('QUALITY_ISSUE', { kind: 'FULL_REFUND' });
    const disputeId = opened.disputeId;
    await as(people.seller, 'respondToDispute', {
      disputeId,
      response: 'REJECT',
      comment: 'It works',
    });
    const escalated = await as(people.buyer, 'escalateDispute', { disputeId });
    expect(escalated.status).toBe('IN_MEDIATION');

    await as(people.mediator, 'takeCase', { disputeId });
    const requested = await as(people.mediator, 'requestEvidence', {
      disputeId,
      from: 'buyer',
      prompt: 'Please send a photo of the defect',
    });
    const [request] = requested.evidenceRequests;
    expect(request).toMatchObject({ from: 'buyer', status: 'OPEN' });

    const fileId = await upload(disputeId, people.buyer);
    const answered = await as(people.buyer, 'addEvidence', {
      disputeId,
      kind: 'PHOTO',
      description: 'The cracked base',
      fileId,
      answersRequestId: request.requestId,
    });
    expect(answered.evidence[0]).toMatchObject({
      kind: 'PHOTO',
      file: { mediaType: 'image/png' },
      answersRequestId: request.requestId,
    });
    expect(answered.evidenceRequests[0].status).toBe('ANSWERED');
    expect(answered.nextAction).toMatchObject({
      actor: 'mediator',
      action: 'DECIDE',
      yours: false,
    });

    await as(people.mediator, 'addInternalNote', { disputeId, note: 'Photo is convincing' });
    const decided = await as(people.mediator, 'decideDispute', {
      disputeId,
      ruling: { kind: 'PARTIAL_REFUND', amount: eur(4_000) },
      rationale: 'Defect shown, item usable',
    });
    expect(decided).toMatchObject({
      status: 'DECIDED',
      decision: { stage: 'MEDIATION', final: false },
    });
    expect(decided.internalNotes).toHaveLength(1);

    const appealed = await as(people.buyer, 'appealDecision', {
      disputeId,
      decisionId: decided.decision?.decisionId,
      newInformation: 'A repair shop says it cannot be fixed',
    });
    expect(appealed).toMatchObject({ status: 'IN_APPEAL', internalNotes: [], mediatorId: null });
    expect(appealed.appeals).toHaveLength(1);

    await as(people.senior, 'takeCase', { disputeId });
    const final = await as(people.senior, 'decideAppeal', {
      disputeId,
      ruling: { kind: 'FULL_REFUND' },
      rationale: 'Beyond repair',
    });
    expect(final).toMatchObject({
      status: 'REFUND_PENDING',
      refundDue: eur(10_000),
      decision: { stage: 'APPEAL', final: true },
    });
    const closed = await as(people.platform, 'confirmRefundPayout', {
      disputeId,
      payoutReference: 'P-3',
      amount: eur(10_000),
    });
    expect(closed.outcome).toMatchObject({ outcome: 'BUYER_FULL_REFUND', reachedBy: 'APPEAL' });
  });

  it('a return with tracking and receipt', async () => {
    const opened = await open('DAMAGED', {
      kind: 'RETURN_AND_REFUND',
      amount: eur(10_000),
      returnShippingPaidBy: 'seller',
    });
    const disputeId = opened.disputeId;
    const claimId = opened.proposals[0]?.proposalId;
    const unnamed = await mutate(d.gateway.url, people.seller, 'respondToDispute', {
      disputeId,
      response: 'ACCEPT',
      comment: 'Send it back',
    });
    expect(unnamed.code).toBe('BAD_USER_INPUT');
    const accepted = await as(people.seller, 'respondToDispute', {
      disputeId,
      response: 'ACCEPT',
      comment: 'Send it back',
      proposalId: claimId,
    });
    expect(accepted).toMatchObject({
      status: 'RETURN_REQUESTED',
      nextAction: { action: 'PROVIDE_RETURN_ADDRESS' },
    });
    await as(people.seller, 'provideReturnAddress', {
      disputeId,
      address: {
        name: 'Shop Returns',
        lines: ['1 Dock Road'],
        postalCode: 'E16 1AA',
        country: 'GB',
      },
    });
    const shipped = await as(people.buyer, 'shipReturn', {
      disputeId,
      carrier: 'Royal Mail',
      trackingNumber: 'RM123456789GB',
    });
    expect(shipped).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      returnInfo: { carrier: 'Royal Mail', trackingNumber: 'RM123456789GB' },
      // While the parcel travels only the platform's delivery record is due (else a mediator
      // rules): only a recorded delivery starts the seller's receipt deadline.
      deadline: { kind: 'RETURN_DELIVERY' },
      nextAction: { actor: 'seller', action: 'CONFIRM_RETURN_RECEIVED', yours: false },
    });
    expect(await d.deadlines.pending(disputeId)).toMatchObject([
      { kind: 'RETURN_DELIVERY', consequence: 'ESCALATED_TO_MEDIATION' },
    ]);
    const delivered = await as(people.platform, 'recordReturnDelivery', { disputeId });
    expect(delivered).toMatchObject({ deadline: { kind: 'RETURN_RECEIPT' } });
    const received = await as(people.seller, 'confirmReturnReceived', { disputeId });
    expect(received).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(10_000) });
    expect(received.returnInfo?.receivedAt).toEqual(expect.any(String));
    expect(received.returnInfo?.deliveredAt).toEqual(expect.any(String));
    const closed = await as(people.platform, 'confirmRefundPayout', {
      disputeId,
      payoutReference: 'P-4',
      amount: eur(10_000),
    });
    expect(closed.status).toBe('CLOSED');
  });

  it('the seller accepts only the claim they saw: a replaced claim restarts their response time', async () => {
    const opened = await open('NOT_AS_DESCRIBED', { kind: 'FULL_REFUND' });
    const firstClaim = opened.proposals[0]?.proposalId;
    d.clock.advance(2 * DAY);
    const replaced = await as(people.buyer, 'submitProposal', {
      disputeId: opened.disputeId,
      solution: { kind: 'PARTIAL_REFUND', amount: eur(6_000) },
    });
    const newClaim = replaced.proposals.find((p) => p.proposer === 'buyer')?.proposalId;
    expect(newClaim).not.toBe(firstClaim);
    expect(Date.parse(replaced.deadline?.dueAt ?? '')).toBeGreaterThan(
      Date.parse(opened.deadline?.dueAt ?? ''),
    );
    const stale = await mutate(d.gateway.url, people.seller, 'respondToDispute', {
      disputeId: opened.disputeId,
      response: 'ACCEPT',
      comment: 'OK',
      proposalId: firstClaim,
    });
    expect(stale.code).toBe('PROPOSAL_CHANGED');
    const accepted = await as(people.seller, 'respondToDispute', {
      disputeId: opened.disputeId,
      response: 'ACCEPT',
      comment: 'OK',
      proposalId: newClaim,
    });
    expect(accepted).toMatchObject({ status: 'REFUND_PENDING', refundDue: eur(6_000) });
  });

  it('the buyer cancels and cannot reopen', async () => {
    const opened = await open('WRONG_ITEM', { kind: 'RESEND' });
    const cancelled = await as(people.buyer, 'cancelDispute', {
      disputeId: opened.disputeId,
      comment: 'Right item arrived',
    });
    expect(cancelled).toMatchObject({
      status: 'CANCELLED',
      outcome: { outcome: 'CANCELLED_BY_BUYER', reachedBy: 'BUYER_CANCEL' },
    });
    const again = await mutate(d.gateway.url, people.buyer, 'openDispute', {
      orderId: opened.orderId,
      reason: 'WRONG_ITEM',
      description: 'Actually it is wrong',
      claim: { kind: 'RESEND' },
    });
    expect(again.code).toBe('DISPUTE_REOPEN_NOT_ALLOWED');
    const message = await mutate(d.gateway.url, people.buyer, 'postMessage', {
      disputeId: opened.disputeId,
      body: 'Hello?',
    });
    expect(message.code).toBe('DISPUTE_CLOSED');
  });

  /** Uploads a tiny PNG through POST /evidence and returns the receipt's id. */
  async function upload(disputeId: string, who: Caller): Promise<string> {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.from('0000000d49484452000000010000000108060000001f15c489', 'hex'),
    ]);
    const form = new FormData();
    form.append('disputeId', disputeId);
    form.append('file', new Blob([png], { type: 'image/png' }), 'defect.png');
    const response = await fetch(`${d.gateway.url}/evidence`, {
      method: 'POST',
      headers: { authorization: `Bearer ${who.token}` },
      body: form,
    });
    const body = (await response.json()) as { id: string };
    if (response.status !== 201)
      throw new Error(`upload failed: ${response.status} ${JSON.stringify(body)}`);
    return body.id;
  }
});

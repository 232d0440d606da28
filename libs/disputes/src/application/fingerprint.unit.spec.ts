import type { Actor } from '../domain';
import { AddEvidenceCommand } from './add-evidence/add-evidence';
import { DISPUTE_COMMANDS } from './command-table';
import { ConfirmRefundPayoutCommand } from './confirm-refund-payout/confirm-refund-payout';
import { DisputeCommandMessage, OrderCommandMessage } from './dispute-command';
import { CommandMessage, fingerprinted, Issued } from './dispute-streams';
import { OpenDisputeCommand } from './open-dispute/open-dispute';

const buyer: Actor = { id: 'b', role: 'buyer' };
const issued: Issued = { actor: buyer, commandId: 'c-1' };
const hashOf = (build: (issued: Issued) => CommandMessage) =>
  fingerprinted(build, issued).issued.requestHash;

/**
 * Recorded events carry the fingerprint of the request that made them; a retry is matched
 * against it. These hashes were recorded when every command was a class of its own (the class
 * name was part of the fingerprint): a key sent then must still match after commands became data.
 */
describe('request fingerprints', () => {
  it('are those recorded before, for table and explicit commands alike', () => {
    expect(hashOf((i) => new DisputeCommandMessage('PostMessage', 'd-1', { body: 'hi' }, i))).toBe(
      '00769cbeb07e23e29a8d95cc0e6ff464fba77a545df417388093b1acd9ff4305',
    );
    const counter = {
      response: 'COUNTER',
      comment: 'no',
      solution: { kind: 'FULL_REFUND' },
    } as const;
    expect(hashOf((i) => new DisputeCommandMessage('RespondToDispute', 'd-1', counter, i))).toBe(
      '2bfcc8fab08d7bbc08e7e1fa4f26d0e34ade3a076ddcaa899783cd6865d6e3f9',
    );
    const claim = { kind: 'FULL_REFUND' } as const;
    const opening = { reason: 'NOT_AS_DESCRIBED', description: 'x', claim } as const;
    expect(hashOf((i) => new OpenDisputeCommand('o-1', opening, i))).toBe(
      'f4374fca4570c3c432b39542a7a260dc929e188e452098b19fdb237d7fd06a00',
    );
    const evidence = { kind: 'PHOTO', description: 'd', text: 't' } as const;
    expect(hashOf((i) => new AddEvidenceCommand('d-1', evidence, i))).toBe(
      '70746c0be62dbf253bfd538939d6f8c962510611e4d409f674a149519cedc1d3',
    );
    const payout = { payoutReference: 'p', amount: { amountMinor: 1, currency: 'EUR' } };
    expect(hashOf((i) => new ConfirmRefundPayoutCommand('d-1', payout, i))).toBe(
      'fb16edc98447fb1478d57b1b3ba29c4a22c5cef41e1021456fd9440f8598a237',
    );
    expect(
      hashOf(
        (i) => new OrderCommandMessage('PlaceOrder', { input: { orderId: 'o-1' } as never }, i),
      ),
    ).toBe('be97d9f95e6c84f39763aa7e538db21b19926f56944f49557e65132157c582f4');
    expect(
      hashOf(
        (i) =>
          new OrderCommandMessage(
            'ShipOrder',
            { orderId: 'o-1', input: { carrier: 'DHL' } as never },
            i,
          ),
      ),
    ).toBe('b1d7adc9112393ab637614ff69e692db28a78a3f013b11f4d925c1888b2d69c1');
    expect(hashOf((i) => new OrderCommandMessage('ConfirmDelivery', { orderId: 'o-1' }, i))).toBe(
      '8e3de6a80fee546704a977846f9ebbf547542d6c606583027bdc63ead5a7fa08',
    );
  });

  it('differ by command type, dispute and input, never by time or correlation', () => {
    const post = (type: 'PostMessage' | 'CancelDispute', disputeId: string, text: string) =>
      hashOf((i) =>
        type === 'PostMessage'
          ? new DisputeCommandMessage(type, disputeId, { body: text }, i)
          : new DisputeCommandMessage(type, disputeId, { comment: text }, i),
      );
    const base = post('PostMessage', 'd-1', 'hi');
    expect(post('PostMessage', 'd-2', 'hi')).not.toBe(base);
    expect(post('PostMessage', 'd-1', 'ho')).not.toBe(base);
    expect(post('CancelDispute', 'd-1', 'hi')).not.toBe(base);
    const traced = fingerprinted(
      (i) => new DisputeCommandMessage('PostMessage', 'd-1', { body: 'hi' }, i),
      { ...issued, correlationId: 'other', causationId: 'x' },
    );
    expect(traced.issued.requestHash).toBe(base);
  });
});

describe('the command table', () => {
  const seeded: Issued = { actor: buyer, commandId: 'c-2' };

  it('creates the same ids on every retry of one command, and other ids for another', () => {
    const once = DISPUTE_COMMANDS.SubmitProposal.data({ solution: { kind: 'RESEND' } }, seeded);
    const again = DISPUTE_COMMANDS.SubmitProposal.data({ solution: { kind: 'RESEND' } }, seeded);
    const other = DISPUTE_COMMANDS.SubmitProposal.data({ solution: { kind: 'RESEND' } }, issued);
    expect(once).toEqual(again);
    expect(other.proposalId).not.toBe(once.proposalId);
  });

  it('creates a proposal id only for a counter-proposal', () => {
    const counter = DISPUTE_COMMANDS.RespondToDispute.data(
      { response: 'COUNTER', comment: 'c', solution: { kind: 'RESEND' } },
      seeded,
    );
    const reject = DISPUTE_COMMANDS.RespondToDispute.data(
      { response: 'REJECT', comment: 'c' },
      seeded,
    );
    expect(counter).toMatchObject({ proposalId: expect.any(String) });
    expect(reject).not.toHaveProperty('proposalId');
  });
});

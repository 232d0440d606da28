import { DynamicModule, Module, Provider } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DEFAULT_POLICY, DisputePolicy } from '../domain';
import { AcceptDecisionHandler } from './accept-decision/accept-decision';
import { AcceptProposalHandler } from './accept-proposal/accept-proposal';
import { AddEvidenceHandler, EVIDENCE_FILES, EvidenceFiles } from './add-evidence/add-evidence';
import { AddInternalNoteHandler } from './add-internal-note/add-internal-note';
import { AppealDecisionHandler } from './appeal-decision/appeal-decision';
import { CancelDisputeHandler } from './cancel-dispute/cancel-dispute';
import { AdjustableClock, Clock, CLOCK } from './clock';
import { ConfirmDeliveryHandler } from './confirm-delivery/confirm-delivery';
import { ConfirmRefundPayoutHandler } from './confirm-refund-payout/confirm-refund-payout';
import { ConfirmReturnReceivedHandler } from './confirm-return-received/confirm-return-received';
import { DecideAppealHandler } from './decide-appeal/decide-appeal';
import { DecideDisputeHandler } from './decide-dispute/decide-dispute';
import { DisputeReader } from './dispute-reader';
import { DisputeReturnConditionHandler } from './dispute-return-condition/dispute-return-condition';
import { DISPUTE_POLICY, DisputeStreams } from './dispute-streams';
import { EscalateDisputeHandler } from './escalate-dispute/escalate-dispute';
import { DisputeDeadlines } from './fire-deadline/fire-deadline';
import { OpenDisputeHandler } from './open-dispute/open-dispute';
import { PlaceOrderHandler } from './place-order/place-order';
import { PostMessageHandler } from './post-message/post-message';
import { ProvideReturnAddressHandler } from './provide-return-address/provide-return-address';
import { RecordReturnDeliveryHandler } from './record-return-delivery/record-return-delivery';
import { RequestEvidenceHandler } from './request-evidence/request-evidence';
import { RespondToDisputeHandler } from './respond-to-dispute/respond-to-dispute';
import { ShipOrderHandler } from './ship-order/ship-order';
import { ShipReturnHandler } from './ship-return/ship-return';
import { SubmitProposalHandler } from './submit-proposal/submit-proposal';
import { TakeCaseHandler } from './take-case/take-case';
import { WithdrawProposalHandler } from './withdraw-proposal/withdraw-proposal';

const HANDLERS = [
  PlaceOrderHandler,
  ShipOrderHandler,
  ConfirmDeliveryHandler,
  OpenDisputeHandler,
  RespondToDisputeHandler,
  SubmitProposalHandler,
  WithdrawProposalHandler,
  AcceptProposalHandler,
  AddEvidenceHandler,
  PostMessageHandler,
  EscalateDisputeHandler,
  CancelDisputeHandler,
  TakeCaseHandler,
  RequestEvidenceHandler,
  AddInternalNoteHandler,
  DecideDisputeHandler,
  AcceptDecisionHandler,
  AppealDecisionHandler,
  DecideAppealHandler,
  ProvideReturnAddressHandler,
  ShipReturnHandler,
  RecordReturnDeliveryHandler,
  ConfirmReturnReceivedHandler,
  DisputeReturnConditionHandler,
  ConfirmRefundPayoutHandler,
];

/** Without an app-provided lookup, no file exists: only text evidence can be added. */
const NO_FILES: EvidenceFiles = { describe: async () => null };

/**
 * The command side of disputes: one handler per command on the CommandBus, `DisputeDeadlines`
 * for the scheduler and `DisputeReader` for the views mutations return. Needs `EVENT_STORE`
 * (EventStoreModule) in the application. Never reads the environment: the app passes options.
 */
@Module({})
export class DisputesModule {
  static forRoot(
    options: { policy?: DisputePolicy; clock?: Clock; evidenceFiles?: Provider } = {},
  ): DynamicModule {
    return {
      module: DisputesModule,
      imports: [CqrsModule.forRoot()],
      providers: [
        { provide: DISPUTE_POLICY, useValue: options.policy ?? DEFAULT_POLICY },
        { provide: CLOCK, useValue: options.clock ?? new AdjustableClock() },
        options.evidenceFiles ?? { provide: EVIDENCE_FILES, useValue: NO_FILES },
        DisputeStreams,
        DisputeReader,
        DisputeDeadlines,
        ...HANDLERS,
      ],
      exports: [CqrsModule, DISPUTE_POLICY, CLOCK, DisputeStreams, DisputeReader, DisputeDeadlines],
    };
  }
}

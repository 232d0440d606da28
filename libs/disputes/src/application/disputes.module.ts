import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DEFAULT_POLICY, DisputePolicy } from '../domain';
import { AcceptDecisionHandler } from './accept-decision/accept-decision';
import { AcceptProposalHandler } from './accept-proposal/accept-proposal';
import { AddEvidenceHandler } from './add-evidence/add-evidence';
import { AddInternalNoteHandler } from './add-internal-note/add-internal-note';
import { AppealDecisionHandler } from './appeal-decision/appeal-decision';
import { CancelDisputeHandler } from './cancel-dispute/cancel-dispute';
import { ConfirmDeliveryHandler } from './confirm-delivery/confirm-delivery';
import { ConfirmRefundPayoutHandler } from './confirm-refund-payout/confirm-refund-payout';
import { MarkRefundSentHandler } from './mark-refund-sent/mark-refund-sent';
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
import { ShipReplacementHandler } from './ship-replacement/ship-replacement';
import { ConfirmReplacementReceivedHandler } from './confirm-replacement-received/confirm-replacement-received';
import { ReportReplacementProblemHandler } from './report-replacement-problem/report-replacement-problem';
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
  ShipReplacementHandler,
  ConfirmReplacementReceivedHandler,
  ReportReplacementProblemHandler,
  MarkRefundSentHandler,
  ConfirmRefundPayoutHandler,
];

export interface DisputesModuleOptions {
  /** The policy in force (`DEFAULT_POLICY` unless configured), provided as `DISPUTE_POLICY`. */
  policy?: DisputePolicy;
}

const DISPUTES_OPTIONS = Symbol('DISPUTES_OPTIONS');

/**
 * The command side of disputes: one handler per command on the CommandBus, `DisputeDeadlines`
 * for the scheduler and `DisputeReader` for the views mutations return. Needs `EVENT_STORE`
 * (EventStoreModule) and the process's one `CLOCK` (PlatformModule), which dates every command,
 * in the application; file evidence needs a global `EVIDENCE_FILES` (the app's
 * blob store), without which only text evidence is accepted. Never reads the environment.
 */
@Module({})
export class DisputesModule {
  static forRoot(options: DisputesModuleOptions = {}): DynamicModule {
    return DisputesModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(options: {
    imports?: DynamicModule['imports'];
    inject?: FactoryProvider['inject'];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
    useFactory: (...args: any[]) => DisputesModuleOptions | Promise<DisputesModuleOptions>;
  }): DynamicModule {
    return {
      module: DisputesModule,
      imports: [CqrsModule.forRoot(), ...(options.imports ?? [])],
      providers: [
        { provide: DISPUTES_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: DISPUTE_POLICY,
          inject: [DISPUTES_OPTIONS],
          useFactory: (o: DisputesModuleOptions) => o.policy ?? DEFAULT_POLICY,
        },
        DisputeStreams,
        DisputeReader,
        DisputeDeadlines,
        ...HANDLERS,
      ],
      exports: [CqrsModule, DISPUTE_POLICY, DisputeStreams, DisputeReader, DisputeDeadlines],
    };
  }
}

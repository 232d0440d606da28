import type {
  AcceptDecision,
  AcceptProposal,
  AddInternalNote,
  AppealDecision,
  CancelDispute,
  ConfirmReplacementReceived,
  ConfirmReturnReceived,
  DecideAppeal,
  DecideDispute,
  DisputeCommand,
  DisputeReturnCondition,
  EscalateDispute,
  MarkRefundSent,
  PostMessage,
  ProvideReturnAddress,
  RecordReturnDelivery,
  ReportReplacementProblem,
  RequestEvidence,
  RespondToDispute,
  ShipReplacement,
  ShipReturn,
  SubmitProposal,
  TakeCase,
  WithdrawProposal,
} from '../domain';
import { idFor, InputOf, Issued } from './dispute-streams';

/**
 * Commands that need more than one dispute stream and its decider, each in its own file:
 * opening (reserves the order first), evidence (looks up the caller's upload), the payout (also
 * records the refund on the order) and the scheduler's deadline fire (command id from the deadline).
 */
type ExplicitCommand = 'OpenDispute' | 'AddEvidence' | 'ConfirmRefundPayout' | 'FireDeadline';

type CommandOf<T extends DisputeCommand['type']> = Extract<DisputeCommand, { type: T }>;

type RespondToDisputeAnswer = RespondToDispute['data'];
/** ACCEPT names the claim the seller saw; a counter-proposal's id is created by the command. */
export type RespondToDisputeInput =
  | Extract<RespondToDisputeAnswer, { response: 'ACCEPT' | 'REJECT' }>
  | Omit<Extract<RespondToDisputeAnswer, { response: 'COUNTER' }>, 'proposalId'>;

/**
 * Every other dispute command, as data: its client input and how its data is made from that
 * input, with the ids the command creates (`idFor`, so a retry creates the same ids). Each row is
 * loaded, decided and appended on the dispute's stream by the dispute decider (`DisputeCommandHandler`
 * through `DisputeStreams.dispute`). A new command is a row here plus its decider branch.
 */
export const DISPUTE_COMMANDS = {
  RespondToDispute: (input: RespondToDisputeInput, issued: Issued): RespondToDispute['data'] =>
    input.response === 'COUNTER' ? { ...input, proposalId: idFor(issued, 'proposal') } : input,
  SubmitProposal: (
    input: InputOf<SubmitProposal, 'proposalId'>,
    issued: Issued,
  ): SubmitProposal['data'] => ({ ...input, proposalId: idFor(issued, 'proposal') }),
  WithdrawProposal: (input: InputOf<WithdrawProposal>): WithdrawProposal['data'] => ({ ...input }),
  AcceptProposal: (input: InputOf<AcceptProposal>): AcceptProposal['data'] => ({ ...input }),
  PostMessage: (input: InputOf<PostMessage, 'messageId'>, issued: Issued): PostMessage['data'] => ({
    ...input,
    messageId: idFor(issued, 'message'),
  }),
  EscalateDispute: (input: InputOf<EscalateDispute>): EscalateDispute['data'] => ({ ...input }),
  CancelDispute: (input: InputOf<CancelDispute>): CancelDispute['data'] => ({ ...input }),
  TakeCase: (input: InputOf<TakeCase>): TakeCase['data'] => ({ ...input }),
  RequestEvidence: (
    input: InputOf<RequestEvidence, 'requestId'>,
    issued: Issued,
  ): RequestEvidence['data'] => ({ ...input, requestId: idFor(issued, 'evidence-request') }),
  AddInternalNote: (
    input: InputOf<AddInternalNote, 'noteId'>,
    issued: Issued,
  ): AddInternalNote['data'] => ({ ...input, noteId: idFor(issued, 'note') }),
  DecideDispute: (
    input: InputOf<DecideDispute, 'decisionId'>,
    issued: Issued,
  ): DecideDispute['data'] => ({ ...input, decisionId: idFor(issued, 'decision') }),
  AcceptDecision: (input: InputOf<AcceptDecision>): AcceptDecision['data'] => ({ ...input }),
  AppealDecision: (
    input: InputOf<AppealDecision, 'appealId'>,
    issued: Issued,
  ): AppealDecision['data'] => ({ ...input, appealId: idFor(issued, 'appeal') }),
  DecideAppeal: (
    input: InputOf<DecideAppeal, 'decisionId'>,
    issued: Issued,
  ): DecideAppeal['data'] => ({ ...input, decisionId: idFor(issued, 'decision') }),
  ProvideReturnAddress: (input: InputOf<ProvideReturnAddress>): ProvideReturnAddress['data'] => ({
    ...input,
  }),
  ShipReturn: (input: InputOf<ShipReturn>): ShipReturn['data'] => ({ ...input }),
  RecordReturnDelivery: (input: InputOf<RecordReturnDelivery>): RecordReturnDelivery['data'] => ({
    ...input,
  }),
  ConfirmReturnReceived: (
    input: InputOf<ConfirmReturnReceived>,
  ): ConfirmReturnReceived['data'] => ({ ...input }),
  DisputeReturnCondition: (
    input: InputOf<DisputeReturnCondition>,
  ): DisputeReturnCondition['data'] => ({ ...input }),
  ShipReplacement: (input: InputOf<ShipReplacement>): ShipReplacement['data'] => ({ ...input }),
  ConfirmReplacementReceived: (
    input: InputOf<ConfirmReplacementReceived>,
  ): ConfirmReplacementReceived['data'] => ({ ...input }),
  ReportReplacementProblem: (
    input: InputOf<ReportReplacementProblem>,
  ): ReportReplacementProblem['data'] => ({ ...input }),
  MarkRefundSent: (input: InputOf<MarkRefundSent>): MarkRefundSent['data'] => ({ ...input }),
} satisfies {
  // Every command is either a row or explicit, and each row makes its own command's data.
  [T in Exclude<DisputeCommand['type'], ExplicitCommand>]: (
    input: never,
    issued: Issued,
  ) => CommandOf<T>['data'];
};

/** A command of the table, by its domain type. */
export type TableCommandType = keyof typeof DISPUTE_COMMANDS;

/** What the client gives for a table command: its data less the ids the command creates. */
export type TableInput<T extends TableCommandType> = Parameters<(typeof DISPUTE_COMMANDS)[T]>[0];

/** The domain command's data for a table command's input, its ids created for `issued`. */
export function commandData<T extends TableCommandType>(
  type: T,
  input: TableInput<T>,
  issued: Issued,
): CommandOf<T>['data'] {
  // TypeScript cannot correlate the row and its input through the union of keys; the `satisfies`
  // above checked each row on its own.
  const row = DISPUTE_COMMANDS[type] as (
    input: TableInput<T>,
    issued: Issued,
  ) => CommandOf<T>['data'];
  return row(input, issued);
}

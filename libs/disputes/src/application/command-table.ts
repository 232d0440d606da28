import type {
  AcceptDecision,
  AcceptProposal,
  AddInternalNote,
  ConfirmDelivery,
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
  OrderCommand,
  PlaceOrder,
  PostMessage,
  ProvideReturnAddress,
  RecordReturnDelivery,
  ReportReplacementProblem,
  RequestEvidence,
  RespondToDispute,
  ShipOrder,
  ShipReplacement,
  ShipReturn,
  SubmitProposal,
  TakeCase,
  WithdrawProposal,
} from '../domain';
import { idFor, InputOf, Issued } from './dispute-streams';

/**
 * Commands that need more than one stream and its decider, each in its own file: opening
 * (reserves the order first), evidence (looks up the caller's upload), the payout (also records
 * the refund on the order) and the scheduler's deadline fire (command id from the deadline); and
 * the order facts only those write (`LinkDispute`, `RecordRefundPayout`).
 */
type ExplicitCommand =
  | 'OpenDispute'
  | 'AddEvidence'
  | 'ConfirmRefundPayout'
  | 'FireDeadline'
  | 'LinkDispute'
  | 'RecordRefundPayout';

type AnyCommand = DisputeCommand | OrderCommand;
type CommandOf<T extends AnyCommand['type']> = Extract<AnyCommand, { type: T }>;

/** A row on a dispute's stream (`dispute-<id>`), decided by the dispute decider. */
export interface DisputeRow<I, D> {
  readonly stream: 'dispute';
  /** The command's data from the client's input, with the ids it creates for `issued`. */
  readonly data: (input: I, issued: Issued) => D;
}

/**
 * A row on an order's stream (`order-<id>`), decided by the order decider. Its request is what the
 * client sent and what its idempotency key is fingerprinted over; it names the order.
 */
export interface OrderRow<R, D> {
  readonly stream: 'order';
  readonly orderId: (request: R) => string;
  readonly data: (request: R) => D;
  /** The test clock a new order is placed under (staging): the stream then records it. */
  readonly testClockId?: (request: R) => string | undefined;
}

const onDispute = <I, D>(data: (input: I, issued: Issued) => D): DisputeRow<I, D> => ({
  stream: 'dispute',
  data,
});
const onOrder = <R, D>(
  orderId: (request: R) => string,
  data: (request: R) => D,
  testClockId?: (request: R) => string | undefined,
): OrderRow<R, D> => ({
  stream: 'order',
  orderId,
  data,
  ...(testClockId && { testClockId }),
});

type RespondToDisputeAnswer = RespondToDispute['data'];
/** ACCEPT names the claim the seller saw; a counter-proposal's id is created by the command. */
export type RespondToDisputeInput =
  | Extract<RespondToDisputeAnswer, { response: 'ACCEPT' | 'REJECT' }>
  | Omit<Extract<RespondToDisputeAnswer, { response: 'COUNTER' }>, 'proposalId'>;

/**
 * Every other command, as data: the stream it is decided on (a dispute's or an order's, each with
 * its decider, through `DisputeStreams.dispute` or `.order`) and how its data is made from the
 * client's input, with the ids the command creates (`idFor`, so a retry creates the same ids).
 * The handlers in `dispute-command.ts` load, decide and append every row. A new command is a row here plus its
 * decider branch.
 */
export const DISPUTE_COMMANDS = {
  RespondToDispute: onDispute(
    (input: RespondToDisputeInput, issued: Issued): RespondToDispute['data'] =>
      input.response === 'COUNTER' ? { ...input, proposalId: idFor(issued, 'proposal') } : input,
  ),
  SubmitProposal: onDispute(
    (input: InputOf<SubmitProposal, 'proposalId'>, issued: Issued): SubmitProposal['data'] => ({
      ...input,
      proposalId: idFor(issued, 'proposal'),
    }),
  ),
  WithdrawProposal: onDispute((input: InputOf<WithdrawProposal>): WithdrawProposal['data'] => ({
    ...input,
  })),
  AcceptProposal: onDispute((input: InputOf<AcceptProposal>): AcceptProposal['data'] => ({
    ...input,
  })),
  PostMessage: onDispute(
    (input: InputOf<PostMessage, 'messageId'>, issued: Issued): PostMessage['data'] => ({
      ...input,
      messageId: idFor(issued, 'message'),
    }),
  ),
  EscalateDispute: onDispute((input: InputOf<EscalateDispute>): EscalateDispute['data'] => ({
    ...input,
  })),
  CancelDispute: onDispute((input: InputOf<CancelDispute>): CancelDispute['data'] => ({
    ...input,
  })),
  TakeCase: onDispute((input: InputOf<TakeCase>): TakeCase['data'] => ({ ...input })),
  RequestEvidence: onDispute(
    (input: InputOf<RequestEvidence, 'requestId'>, issued: Issued): RequestEvidence['data'] => ({
      ...input,
      requestId: idFor(issued, 'evidence-request'),
    }),
  ),
  AddInternalNote: onDispute(
    (input: InputOf<AddInternalNote, 'noteId'>, issued: Issued): AddInternalNote['data'] => ({
      ...input,
      noteId: idFor(issued, 'note'),
    }),
  ),
  DecideDispute: onDispute(
    (input: InputOf<DecideDispute, 'decisionId'>, issued: Issued): DecideDispute['data'] => ({
      ...input,
      decisionId: idFor(issued, 'decision'),
    }),
  ),
  AcceptDecision: onDispute((input: InputOf<AcceptDecision>): AcceptDecision['data'] => ({
    ...input,
  })),
  AppealDecision: onDispute(
    (input: InputOf<AppealDecision, 'appealId'>, issued: Issued): AppealDecision['data'] => ({
      ...input,
      appealId: idFor(issued, 'appeal'),
    }),
  ),
  DecideAppeal: onDispute(
    (input: InputOf<DecideAppeal, 'decisionId'>, issued: Issued): DecideAppeal['data'] => ({
      ...input,
      decisionId: idFor(issued, 'decision'),
    }),
  ),
  ProvideReturnAddress: onDispute(
    (input: InputOf<ProvideReturnAddress>): ProvideReturnAddress['data'] => ({
      ...input,
    }),
  ),
  ShipReturn: onDispute((input: InputOf<ShipReturn>): ShipReturn['data'] => ({ ...input })),
  RecordReturnDelivery: onDispute(
    (input: InputOf<RecordReturnDelivery>): RecordReturnDelivery['data'] => ({
      ...input,
    }),
  ),
  ConfirmReturnReceived: onDispute(
    (input: InputOf<ConfirmReturnReceived>): ConfirmReturnReceived['data'] => ({ ...input }),
  ),
  DisputeReturnCondition: onDispute(
    (input: InputOf<DisputeReturnCondition>): DisputeReturnCondition['data'] => ({ ...input }),
  ),
  ShipReplacement: onDispute((input: InputOf<ShipReplacement>): ShipReplacement['data'] => ({
    ...input,
  })),
  ConfirmReplacementReceived: onDispute(
    (input: InputOf<ConfirmReplacementReceived>): ConfirmReplacementReceived['data'] => ({
      ...input,
    }),
  ),
  ReportReplacementProblem: onDispute(
    (input: InputOf<ReportReplacementProblem>): ReportReplacementProblem['data'] => ({ ...input }),
  ),
  MarkRefundSent: onDispute((input: InputOf<MarkRefundSent>): MarkRefundSent['data'] => ({
    ...input,
  })),
  // Order facts: the request's fields are those fingerprints were first recorded with (placing
  // names its order in its data; confirming carries nothing else), so a retry still matches.
  // A test clock (staging) is part of the request only when given, so fingerprints without one
  // stay as they were.
  PlaceOrder: onOrder(
    ({ input }: { input: PlaceOrder['data']; testClockId?: string }) => input.orderId,
    ({ input }): PlaceOrder['data'] => ({ ...input }),
    ({ testClockId }) => testClockId,
  ),
  ShipOrder: onOrder(
    ({ orderId }: { orderId: string; input: ShipOrder['data'] }) => orderId,
    ({ input }): ShipOrder['data'] => ({ ...input }),
  ),
  ConfirmDelivery: onOrder(
    ({ orderId }: { orderId: string }) => orderId,
    (): ConfirmDelivery['data'] => ({}),
  ),
} satisfies {
  // Every command is either a row or explicit, and each row makes its own command's data on its
  // own command's stream.
  [T in Exclude<AnyCommand['type'], ExplicitCommand>]: T extends DisputeCommand['type']
    ? DisputeRow<never, CommandOf<T>['data']>
    : OrderRow<never, CommandOf<T>['data']>;
};

type Table = typeof DISPUTE_COMMANDS;

/** A dispute-stream command of the table, by its domain type. */
export type TableCommandType = {
  [T in keyof Table]: Table[T] extends { stream: 'dispute' } ? T : never;
}[keyof Table];

/** An order-stream command of the table, by its domain type. */
export type OrderTableCommandType = Exclude<keyof Table, TableCommandType>;

/** What the client gives for a dispute-stream command: its data less the ids the command creates. */
export type TableInput<T extends TableCommandType> = Parameters<Table[T]['data']>[0];

/** What the client gives for an order-stream command: the order and the facts it records. */
export type OrderRequest<T extends OrderTableCommandType> = Parameters<Table[T]['data']>[0];

/** The row of a dispute-stream command, typed for its own input and data. */
export function disputeRow<T extends TableCommandType>(
  type: T,
): DisputeRow<TableInput<T>, CommandOf<T>['data']> {
  // TypeScript cannot correlate the row and its input through the union of keys; the `satisfies`
  // above checked each row on its own.
  return DISPUTE_COMMANDS[type] as DisputeRow<TableInput<T>, CommandOf<T>['data']>;
}

/** The row of an order-stream command, typed for its own request and data. */
export function orderRow<T extends OrderTableCommandType>(
  type: T,
): OrderRow<OrderRequest<T>, CommandOf<T>['data']> {
  return DISPUTE_COMMANDS[type] as unknown as OrderRow<OrderRequest<T>, CommandOf<T>['data']>;
}

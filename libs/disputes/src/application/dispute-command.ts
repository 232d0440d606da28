import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { DisputeCommand, OrderCommand } from '../domain';
import {
  disputeRow,
  OrderRequest,
  orderRow,
  OrderTableCommandType,
  TableCommandType,
  TableInput,
} from './command-table';
import { DisputeOutcome, DisputeStreams, Issued, OrderOutcome } from './dispute-streams';

/**
 * A dispute-stream command of the table (`DISPUTE_COMMANDS`) on its way to the bus: which
 * command, on which dispute, with the client's input, issued by whom. Its request fingerprint is
 * its type, dispute and input.
 */
export class DisputeCommandMessage<
  T extends TableCommandType = TableCommandType,
> extends Command<DisputeOutcome> {
  constructor(
    readonly type: T,
    readonly disputeId: string,
    readonly input: TableInput<T>,
    readonly issued: Issued,
  ) {
    super();
  }
}

/**
 * An order-stream command of the table on its way to the bus: which command, with the client's
 * request (which names the order), issued by whom. The request's fields are the message's own, so
 * its fingerprint (`fingerprinted`: every field but type and issuer) is its type and request.
 */
export class OrderCommandMessage<
  T extends OrderTableCommandType = OrderTableCommandType,
> extends Command<OrderOutcome> {
  constructor(
    readonly type: T,
    request: OrderRequest<T>,
    readonly issued: Issued,
  ) {
    super();
    Object.assign(this, request);
  }

  /** The client's request: the message less its type and issuer. */
  get request(): OrderRequest<T> {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- taken out of the request
    const { type, issued, ...request } = this;
    return request as unknown as OrderRequest<T>;
  }
}

/**
 * The one handler of the table's dispute rows: the row makes the data, then the dispute stream is
 * loaded, decided by the dispute decider and appended (`DisputeStreams.dispute`).
 */
@CommandHandler(DisputeCommandMessage)
export class DisputeCommandHandler implements ICommandHandler<DisputeCommandMessage> {
  constructor(private readonly streams: DisputeStreams) {}

  execute({ type, disputeId, input, issued }: DisputeCommandMessage): Promise<DisputeOutcome> {
    const data = disputeRow(type).data(input, issued);
    return this.streams.dispute(
      disputeId,
      issued,
      (metadata) => ({ type, data, metadata }) as DisputeCommand,
    );
  }
}

/**
 * The one handler of the table's order rows: the row names the order and makes the data, then the
 * order stream is loaded, decided by the order decider and appended (`DisputeStreams.order`).
 */
@CommandHandler(OrderCommandMessage)
export class OrderCommandHandler implements ICommandHandler<OrderCommandMessage> {
  constructor(private readonly streams: DisputeStreams) {}

  execute(message: OrderCommandMessage): Promise<OrderOutcome> {
    const { type, issued, request } = message;
    const row = orderRow(type);
    const data = row.data(request);
    return this.streams.order(
      row.orderId(request),
      issued,
      (metadata) => ({ type, data, metadata }) as OrderCommand,
      { testClockId: row.testClockId?.(request) },
    );
  }
}

import { randomBytes } from 'node:crypto';
import { signDevelopmentToken } from '@arbiter/auth/development-token';
import type { ActorRole } from '@arbiter/auth';
import { FAULT_JWT_SECRET, sleep, trace } from './processes';

/**
 * The load of the fault suite: N clients, each a buyer with a dispute of their own, posting
 * messages over HTTP GraphQL as fast as the gateway answers, every mutation with an idempotency
 * key. Each command is recorded as sent, acknowledged (the gateway answered with data) or not
 * (a transport error, a timeout or any error answer, whatever its code). After the fault every
 * command not acknowledged is retried with its own key until it is acknowledged (bounded), as a
 * client following the README would. Every message body is unique, so its effect can be counted
 * in the event log: exactly once for every command, acknowledged or retried.
 */

export interface Person {
  id: string;
  role: ActorRole;
  token: string;
}

export interface Answer {
  ok: boolean;
  /** `OK`, the first error's code, or `TRANSPORT` (connection refused or reset, timeout). */
  code: string;
  data?: Record<string, unknown>;
}

export interface Command {
  key: string;
  who: Person;
  mutation: string;
  input: Record<string, unknown>;
  /** The unique message body: what the command's effect is counted by. */
  body: string;
  acknowledged: boolean;
  /** Attempts made, the first one included. */
  attempts: number;
  /** The answer of each attempt that was not an acknowledgement. */
  failures: string[];
}

export const person = async (role: ActorRole, id: string): Promise<Person> => ({
  id,
  role,
  token: await signDevelopmentToken({ sub: id, role, secret: FAULT_JWT_SECRET, ttl: '2h' }),
});

const SELECTIONS: Record<string, string> = {
  placeOrder: 'orderId revision',
  shipOrder: 'orderId revision',
  openDispute: 'disputeId revision',
  postMessage: 'disputeId revision',
};
const INPUT_TYPES: Record<string, string> = {
  placeOrder: 'PlaceOrderInput',
  shipOrder: 'ShipOrderInput',
  openDispute: 'OpenDisputeInput',
  postMessage: 'PostMessageInput',
};

/** One attempt of a mutation; never throws (a transport failure is an answer too). */
export async function send(
  baseUrl: string,
  who: Person,
  mutation: string,
  input: Record<string, unknown>,
  timeoutMs = 15_000,
): Promise<Answer> {
  const query = `mutation Run($input: ${INPUT_TYPES[mutation]}!) { result: ${mutation}(input: $input) { ${SELECTIONS[mutation]} } }`;
  try {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}` },
      body: JSON.stringify({ query, variables: { input } }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: {
      data?: { result?: Record<string, unknown> } | null;
      errors?: { extensions?: { code?: string } }[];
    };
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, code: `HTTP_${response.status}` };
    }
    const result = body.data?.result;
    if (result && !body.errors?.length) return { ok: true, code: 'OK', data: result };
    return {
      ok: false,
      code: body.errors?.[0]?.extensions?.code ?? `HTTP_${response.status}`,
    };
  } catch {
    return { ok: false, code: 'TRANSPORT' };
  }
}

/** One attempt of `command`, recorded on it. */
async function attempt(baseUrl: string, command: Command): Promise<Answer> {
  command.attempts++;
  const answer = await send(baseUrl, command.who, command.mutation, command.input);
  if (answer.ok) command.acknowledged = true;
  else command.failures.push(answer.code);
  return answer;
}

/** Retries a setup mutation with its key until it succeeds (the gateway may be starting). */
async function until(
  baseUrl: string,
  who: Person,
  mutation: string,
  input: Record<string, unknown>,
  withinMs = 60_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + withinMs;
  let last: Answer = { ok: false, code: 'NOT_SENT' };
  while (Date.now() < deadline) {
    last = await send(baseUrl, who, mutation, input);
    if (last.ok && last.data) return last.data;
    await sleep(250);
  }
  throw new Error(`${mutation} as ${who.role} kept failing: ${last.code}`);
}

/**
 * Client `client`'s `n`th message as a command not sent yet: its idempotency key is
 * `<keyPrefix>-<client>-<n>`, and its body names the run so the log can be searched for it.
 */
export function messageCommand(
  keyPrefix: string,
  run: string,
  client: LoadClient,
  n: number,
): Command {
  const key = `${keyPrefix}-${client.index}-${n}`;
  const body = `fault ${run} client ${client.index} message ${n}`;
  return {
    key,
    who: client.buyer,
    mutation: 'postMessage',
    input: { disputeId: client.disputeId, body, idempotencyKey: key },
    body,
    acknowledged: false,
    attempts: 0,
    failures: [],
  };
}

export interface LoadClient {
  index: number;
  buyer: Person;
  seller: Person;
  disputeId: string;
}

/**
 * The fleet of clients and every command they sent. `baseUrl()` is asked before each request,
 * so a test may point the clients elsewhere (it does not need to: restarts keep the port).
 */
export class Load {
  readonly run = randomBytes(4).toString('hex');
  readonly commands: Command[] = [];
  clients: LoadClient[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  /** Since when (`markFault()`) the next acknowledgement counts as the recovery. */
  private recoveryFrom: number | undefined;
  /** Per fault: ms from the fault to the first command acknowledged after it. */
  readonly recoveryMs: number[] = [];

  constructor(private readonly baseUrl: string) {}

  /** Each client's order, shipped, and the buyer's dispute on it (every step with a key). */
  async setUp(clients: number): Promise<void> {
    const platform = await person('platform', 'marketplace');
    const deliveryDeadline = new Date(Date.now() + 10 * 86_400_000).toISOString();
    this.clients = await Promise.all(
      Array.from({ length: clients }, async (_, index) => {
        const buyer = await person('buyer', `buyer-${this.run}-${index}`);
        const seller = await person('seller', `seller-${this.run}-${index}`);
        const orderId = `order-${this.run}-${index}`;
        const total = { amountMinor: 10_000, currency: 'EUR' };
        await until(this.baseUrl, platform, 'placeOrder', {
          orderId,
          buyerId: buyer.id,
          sellerId: seller.id,
          total,
          items: [{ sku: 'lamp-1', title: 'Desk lamp', quantity: 1, unitPrice: total }],
          idempotencyKey: `place-${orderId}`,
        });
        await until(this.baseUrl, platform, 'shipOrder', {
          orderId,
          carrier: 'DHL',
          trackingNumber: 'JD014600',
          deliveryDeadline,
          idempotencyKey: `ship-${orderId}`,
        });
        const opened = await until(this.baseUrl, buyer, 'openDispute', {
          orderId,
          reason: 'DAMAGED',
          description: 'Dented',
          claim: { kind: 'FULL_REFUND' },
          idempotencyKey: `open-${orderId}`,
        });
        return { index, buyer, seller, disputeId: String(opened.disputeId) };
      }),
    );
    trace(`load: ${clients} clients set up`);
  }

  /**
   * Starts every client: each sends its next message as soon as the previous one is answered
   * (after a short pause when it was not acknowledged, as a client would back off).
   */
  start(): void {
    this.stopping = false;
    this.loops = this.clients.map(async (client) => {
      let n = 0;
      let pause = 0;
      while (!this.stopping) {
        const command = this.command(client, n++);
        const answer = await attempt(this.baseUrl, command);
        if (answer.ok) {
          this.noteSuccess();
          pause = 0;
        } else {
          // Backing off keeps an outage from turning into thousands of commands to retry.
          pause = Math.min(Math.max(pause * 2, 100), 2_000);
          await sleep(pause);
        }
      }
    });
  }

  /** Stops the clients after their requests in flight are answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  /** Recovery time is counted from now: call it when the fault is injected. */
  markFault(): void {
    this.recoveryFrom = Date.now();
  }

  private noteSuccess(): void {
    if (this.recoveryFrom === undefined) return;
    this.recoveryMs.push(Date.now() - this.recoveryFrom);
    this.recoveryFrom = undefined;
  }

  private command(client: LoadClient, n: number): Command {
    const command = messageCommand(`msg-${this.run}`, this.run, client, n);
    this.commands.push(command);
    return command;
  }

  /**
   * Retries every command not acknowledged yet, with its own key, until each is acknowledged or
   * `withinMs` passes; resolves with how many commands needed a retry.
   */
  async retryUnacknowledged(withinMs = 60_000): Promise<number> {
    const pending = this.commands.filter((c) => !c.acknowledged);
    const deadline = Date.now() + withinMs;
    // A few at a time per client would also do; one pass per round keeps the order simple.
    while (Date.now() < deadline && pending.some((c) => !c.acknowledged)) {
      const round = pending.filter((c) => !c.acknowledged);
      for (let i = 0; i < round.length; i += 8) {
        await Promise.all(round.slice(i, i + 8).map((c) => attempt(this.baseUrl, c)));
      }
      if (round.some((c) => !c.acknowledged)) await sleep(250);
    }
    return pending.length;
  }

  /** How many non-acknowledging answers of each code the commands got. */
  failureCodes(): Record<string, number> {
    const codes: Record<string, number> = {};
    for (const command of this.commands)
      for (const code of command.failures) codes[code] = (codes[code] ?? 0) + 1;
    return codes;
  }
}

/** What the checks found for one test: printed as one line, asserted on by the test. */
export interface Figures {
  test: string;
  sent: number;
  acknowledged: number;
  lost: number;
  duplicated: number;
  retried: number;
  /** Per kill: ms from the kill to the first command acknowledged after it (restart included). */
  recoveryMs?: number[];
  [more: string]: unknown;
}

/** One `FAULT test=<name> key=value …` line: every fault test prints its figures this way. */
export function printFigures(figures: Figures | { test: string; [name: string]: unknown }): void {
  const parts = Object.entries(figures)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : value}`);
  // One line per test, for CI logs and for comparing runs.
  console.log(`FAULT ${parts.join(' ')}`);
}

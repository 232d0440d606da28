import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { ActorRole } from '@arbiter/auth';
import { graphql, tokenFor } from './support/clients';
import {
  cast,
  type DisputesGateway,
  ok,
  shippedOrder,
  startDisputesGateway,
} from './disputes-helpers';

/**
 * Property-based fuzzing of the GraphQL edge (fast-check). Documents and variables are generated
 * from the gateway's own schema (every root query and mutation, their arguments as literals or
 * variables, nested selections) and filled with hostile values: NUL, lone surrogates, huge and
 * negative numbers, out-of-range instants, forged cursors, wrong types, unknown enum values,
 * truncated documents. Sent as every role (and none) over HTTP, and over graphql-ws, the gateway
 * must never answer 5xx or INTERNAL_SERVER_ERROR, an operation that fails must change no state,
 * and no request may block the event loop for more than 100 ms (an accepted mutation: 250 ms).
 *
 * Each case is a tape of choices that the builder reads (0 is always the simplest choice), so a
 * failure shrinks to a small document. FUZZ_SECONDS (default 45) bounds the run; a failure prints
 * the seed and path that replay it (fast-check's `seed` and `path` parameters).
 */

/** This thread's CPU time where Node can tell it (process.threadCpuUsage), else the process's. */
const cpuUsage: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage =
  (process as { threadCpuUsage?: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage })
    .threadCpuUsage ?? process.cpuUsage;

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 45);
const MAX_BLOCK_MS = 100;
/**
 * An accepted mutation does a command's real work on the embedded database, and PGlite runs its
 * queries on this same event loop: measured at 60–90 ms on an idle machine, so a loaded one
 * crosses 100 ms. Its bound catches a request that blocks for real (moving PGlite off the loop is
 * a performance item of its own, see docs/benchmarks.md); hostile input is held to 100 ms.
 */
const MAX_ACCEPTED_BLOCK_MS = 250;
/**
 * Successful mutations pile events onto the few disputes the cases hit; past this many new events
 * the cases move to a freshly opened dispute. The loop-block bound is about what one input costs;
 * what a long history costs a command is measured by the benchmarks (`bench:scale`), not here.
 */
const EVENTS_PER_DISPUTE = 60;
const ROLES: (ActorRole | 'anonymous' | 'expired')[] = [
  'buyer',
  'seller',
  'mediator',
  'senior_mediator',
  'platform',
  'analyst',
  'anonymous',
  'expired',
];

/** Reads choices off a tape; past its end every choice is 0 (the simplest). */
class Tape {
  private at = 0;
  constructor(
    private readonly choices: readonly number[],
    readonly strings: readonly string[],
  ) {}
  next(bound: number): number {
    const value = this.choices[this.at++] ?? 0;
    return bound <= 0 ? 0 : value % bound;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.next(items.length)];
  }
  /** True `percent` times in 100; false past the tape's end. */
  chance(percent: number): boolean {
    return this.next(100) >= 100 - percent;
  }
}

interface Known {
  disputeIds: string[];
  orderIds: string[];
  /** Cursors of real pages (lists, timeline, event feed). */
  cursors: string[];
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\ud800b',
  '\udc00',
  '\u202eevil\u202c',
  '\u001b[31mred',
  'line\nbreak',
  "' OR 1=1 --",
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '+275760-09-13T00:00:00.000Z',
  '1969-12-31T23:59:59Z',
  '2026-02-31',
  '9'.repeat(400),
  'x'.repeat(20_000),
  'eyJwb3NpdGlvbiI6Ii0xIn0',
  'ZXZlbnQ6OTk5OTk5OTk5OTk5OTk5OTk5OQ',
  'bm90IGEgY3Vyc29y',
  '-1',
  'NaN',
  '{"$gt":""}',
  '😀',
];

const HOSTILE_NUMBERS = [
  0,
  -1,
  1,
  2,
  20,
  100,
  101,
  1000,
  1001,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 53),
  1.5,
  1e300,
];

/** Text: mostly ordinary (so that checks further in are reached), often hostile. */
function text(tape: Tape, known: Known): string {
  switch (tape.next(6)) {
    case 0:
      return 'The lamp arrived broken';
    case 1:
      return tape.pick(HOSTILE_STRINGS);
    case 2:
      return tape.pick([...known.disputeIds, ...known.orderIds, ...known.cursors, 'none']);
    case 3:
      return tape.pick(tape.strings);
    case 4:
      return Buffer.from(tape.pick(tape.strings)).toString('base64url');
    default:
      return instant(tape);
  }
}

/** An ISO instant, well inside, at the edges of or beyond the accepted range, or malformed. */
function instant(tape: Tape): string {
  if (tape.chance(30)) {
    return tape.pick(['+275760-09-13T00:00:00.000Z', '1969-12-31T23:59:59Z', '2026-02-31', 'x']);
  }
  return new Date(Date.UTC(1960 + tape.next(100), tape.next(12), 1 + tape.next(31))).toISOString();
}

/** A cursor this gateway handed out, or one forged from it (a character changed, or cut). */
function cursor(tape: Tape, known: Known): string {
  // Hand-made: the shape of a list's cursor (a JSON array in base64url) with hostile parts.
  if (tape.chance(30)) {
    const parts = Array.from({ length: 1 + tape.next(3) }, () => text(tape, known));
    return Buffer.from(JSON.stringify(parts)).toString('base64url');
  }
  const real = tape.pick(known.cursors);
  if (tape.chance(30)) return real;
  const at = tape.next(real.length);
  return tape.chance(50)
    ? real.slice(0, at)
    : `${real.slice(0, at)}${tape.pick(['A', '_', '-', '=', '9'])}${real.slice(at + 1)}`;
}

/** A value for an input type: usually of that type, sometimes not. */
function inputValue(
  type: GraphQLInputType,
  tape: Tape,
  known: Known,
  name = '',
  depth = 0,
): unknown {
  if (tape.chance(5)) return tape.pick<unknown>([null, 'wrong', 7, true, [], {}]);
  if (isNonNullType(type)) return inputValue(type.ofType, tape, known, name, depth);
  if (isListType(type)) {
    const length = tape.next(4);
    return Array.from({ length }, () => inputValue(type.ofType, tape, known, name, depth + 1));
  }
  if (isEnumType(type)) {
    return tape.chance(10) ? 'NO_SUCH_VALUE' : tape.pick(type.getValues()).name;
  }
  if (isInputObjectType(type)) {
    if (depth > 4) return {};
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) || tape.chance(30)) {
        value[field.name] = inputValue(field.type, tape, known, field.name, depth + 1);
      }
    }
    if (tape.chance(3)) value.unknownField = 1;
    return value;
  }
  switch (type.name) {
    case 'Int':
    case 'Float':
      return tape.pick(HOSTILE_NUMBERS);
    case 'Boolean':
      return tape.chance(50);
    case 'JSON':
      return tape.pick<unknown>([{}, [], 'x', 1, { a: { b: [null] } }]);
    case 'ID':
      if (name === 'disputeId' && tape.chance(70)) return tape.pick(known.disputeIds);
      if (name === 'orderId' && tape.chance(70)) return tape.pick(known.orderIds);
      // Mostly ids that exist, so that commands get past input checks to the decider.
      return tape.chance(60)
        ? tape.pick([...known.disputeIds, ...known.orderIds])
        : text(tape, known);
    case 'DateTime':
      return instant(tape);
    default:
      if (name === 'after' && known.cursors.length) return cursor(tape, known);
      return text(tape, known);
  }
}

/** A GraphQL literal for `value`; enum names bare when the type is an enum. */
function literal(value: unknown, type: GraphQLInputType): string {
  const inner = isNonNullType(type) || isListType(type) ? type.ofType : type;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((item) => literal(item, inner)).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = isInputObjectType(inner) ? inner.getFields() : {};
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${literal(item, fields[key]?.type ?? inner)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string') {
    return isEnumType(getNamedType(type)) && /^[_A-Za-z]\w*$/.test(value)
      ? value
      : JSON.stringify(value);
  }
  return String(value);
}

interface Built {
  query: string;
  variables: Record<string, unknown>;
  operation: 'query' | 'mutation';
  rootField: string;
}

function build(schema: GraphQLSchema, tape: Tape, known: Known): Built {
  const mutationType = schema.getMutationType();
  const operation = mutationType && tape.chance(35) ? 'mutation' : 'query';
  const root = (
    operation === 'mutation' ? mutationType : schema.getQueryType()
  ) as GraphQLObjectType;
  const field = tape.pick(Object.values(root.getFields()));
  const declarations: string[] = [];
  const variables: Record<string, unknown> = {};
  const args = (argsOf: readonly GraphQLArgument[]): string => {
    const given = argsOf.filter((arg) => isNonNullType(arg.type) || tape.chance(50));
    if (given.length === 0) return '';
    const parts = given.map((arg) => {
      const value = inputValue(arg.type, tape, known, arg.name);
      if (tape.chance(50)) return `${arg.name}: ${literal(value, arg.type)}`;
      const name = `v${declarations.length}`;
      declarations.push(`$${name}: ${String(arg.type)}`);
      variables[name] = value;
      return `${arg.name}: $${name}`;
    });
    return `(${parts.join(', ')})`;
  };
  const selection = (type: GraphQLNamedType, depth: number): string => {
    if (isLeafType(type)) return '';
    if (depth > 3) return '{ __typename }';
    if (isUnionType(type) || isInterfaceType(type)) {
      const possible = schema.getPossibleTypes(type);
      const chosen = tape.pick(possible);
      return `{ __typename ... on ${chosen.name} ${selection(chosen, depth + 1)} }`;
    }
    if (!isObjectType(type)) return '';
    const fields = Object.values(type.getFields());
    const count = 1 + tape.next(4);
    const picked = new Set<GraphQLField<unknown, unknown>>();
    for (let i = 0; i < count; i++) picked.add(tape.pick(fields));
    const parts = [...picked].map(
      (inner) =>
        `${inner.name}${args(inner.args)} ${selection(getNamedType(inner.type), depth + 1)}`,
    );
    return `{ ${parts.join(' ')} }`;
  };
  const body = `${field.name}${args(field.args)} ${selection(getNamedType(field.type), 1)}`;
  const header = declarations.length ? `(${declarations.join(', ')})` : '';
  let query = `${operation} Fuzz${header} { ${body} }`;
  // Now and then a broken document: cut short, or with a stray character.
  if (tape.chance(5)) query = query.slice(0, tape.next(query.length));
  else if (tape.chance(3)) {
    const at = tape.next(query.length);
    query = `${query.slice(0, at)}${tape.pick(['{', '}', '"', '$', '@', '\\', '\u0000'])}${query.slice(at)}`;
  }
  return { query, variables, operation, rootField: field.name };
}

describe('GraphQL fuzzing from the schema', () => {
  let d: DisputesGateway;
  let schema: GraphQLSchema;
  const known: Known = { disputeIds: [], orderIds: [], cursors: [] };
  const tokens = new Map<string, string | undefined>();
  const sockets = new Map<string, Client>();
  let people: Awaited<ReturnType<typeof cast>>;

  /** Disputes opened up front, for the cases to move to as one's history grows (see above). */
  const spare: { orderId: string; disputeId: string }[] = [];

  /** Shipped orders of the cast's buyer and seller, a day old, and the disputes opened on them. */
  async function openedDisputes(count: number): Promise<{ orderId: string; disputeId: string }[]> {
    const orderIds: string[] = [];
    for (let n = 0; n < count; n++) {
      orderIds.push(await shippedOrder(d, people.platform, people.buyer, people.seller));
    }
    d.clock.advance(86_400_000);
    const opened = [];
    for (const orderId of orderIds) {
      const { disputeId } = await ok(d.gateway.url, people.buyer, 'openDispute', {
        orderId,
        reason: 'NOT_AS_DESCRIBED',
        description: 'Wrong colour',
        claim: { kind: 'FULL_REFUND' },
      });
      opened.push({ orderId, disputeId });
    }
    return opened;
  }

  beforeAll(async () => {
    // Projections run (so that reads have rows to return); the fake clock stands still, so no
    // deadline fires and only the cases' own commands append events.
    d = await startDisputesGateway('pglite', { WORKERS: 'inline' });
    schema = d.gateway.app.get(GraphQLSchemaHost).schema;
    people = await cast(d);
    // Ids a generated argument may hit: one open dispute, one order without a dispute.
    const [{ orderId, disputeId }, ...rest] = await openedDisputes(1 + Math.ceil(SECONDS / 4));
    spare.push(...rest);
    known.disputeIds.push(disputeId);
    known.orderIds.push(
      orderId,
      await shippedOrder(d, people.platform, people.buyer, people.seller),
    );
    // Real cursors, for forging: a dispute list's, a timeline's and the event feed's.
    const cursorOf = async (query: string, token: string): Promise<string> => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const page = await graphql(d.gateway.url, query, { token });
        const found = /"endCursor":"([^"]+)"/.exec(JSON.stringify(page.body.data));
        if (found) return found[1];
        await new Promise((resolve) => setTimeout(resolve, 100)); // the projections catch up
      }
      throw new Error(`no cursor from ${query}`);
    };
    known.cursors.push(
      await cursorOf('{ myDisputes(first: 1) { pageInfo { endCursor } } }', people.buyer.token),
      await cursorOf(
        `{ disputeTimeline(id: "${disputeId}", first: 1) { pageInfo { endCursor } } }`,
        people.buyer.token,
      ),
      await cursorOf('{ disputeEventsPage(first: 2) { endCursor } }', people.analyst.token),
    );
    // The parties of the seeded dispute, so their commands get as far as the decider.
    const ids: Partial<Record<string, string>> = {
      buyer: people.buyer.id,
      seller: people.seller.id,
      mediator: people.mediator.id,
      senior_mediator: people.senior.id,
    };
    for (const role of ROLES) {
      if (role === 'anonymous') tokens.set(role, undefined);
      else if (role === 'expired')
        tokens.set(role, await tokenFor('buyer', 'buyer-1', { ttl: -60 }));
      else tokens.set(role, await tokenFor(role, ids[role] ?? `${role}-1`));
    }
  });

  afterAll(async () => {
    // A socket the server refused (an expired token: 4401) may reject its dispose with that close
    // event; each case already checked what the server answered, so teardown only lets go.
    await Promise.allSettled([...sockets.values()].map((socket) => socket.dispose()));
    await d?.close();
  });

  const tapeArbitrary = fc.record({
    choices: fc.array(fc.nat({ max: 1_000_000 }), { minLength: 0, maxLength: 300 }),
    strings: fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 4 }),
    role: fc.constantFrom(...ROLES),
    overWebSocket: fc.boolean(),
  });

  const socketFor = (role: string): Client => {
    let socket = sockets.get(role);
    if (!socket) {
      const token = tokens.get(role);
      socket = createClient({
        url: d.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      sockets.set(role, socket);
    }
    return socket;
  };

  /** The first result or error of an operation over the socket, as text. */
  const overSocket = (role: string, built: Built): Promise<string> =>
    new Promise((resolve) => {
      let unsubscribe: () => void = () => undefined;
      const done = (outcome: unknown) => {
        unsubscribe();
        resolve(JSON.stringify(outcome) ?? 'closed');
      };
      unsubscribe = socketFor(role).subscribe(
        { query: built.query, variables: built.variables },
        { next: done, error: done, complete: () => done('complete') },
      );
    });

  const loop = monitorEventLoopDelay({ resolution: 10 });

  /** Sends the case, checks the answer's codes; how it ended, and how long the loop was held up. */
  async function send(
    role: string,
    built: Built,
    overWebSocket: boolean,
  ): Promise<{ failed: boolean; summary: string; blockedMs: number }> {
    loop.reset();
    const cpu = cpuUsage();
    // The loop's longest stall, bounded by the CPU time the event loop's thread spent meanwhile
    // (the whole process's where Node cannot tell one thread's: before Node 23.9): a stall from
    // other processes on a loaded machine, or the PGlite thread's and the collector's work beside
    // it, is not blocking work of the loop.
    const blocked = () => {
      const spent = cpuUsage(cpu);
      return Math.min(loop.max / 1e6, (spent.user + spent.system) / 1000);
    };
    if (overWebSocket && built.operation === 'query') {
      const outcome = await overSocket(role, built);
      const blockedMs = blocked();
      if (outcome.includes('INTERNAL_SERVER_ERROR')) {
        throw new Error(
          `${outcome} for ${built.query} with ${JSON.stringify(built.variables)} as ${role}`,
        );
      }
      const failed = !outcome.includes('"data"');
      const code = /"code":"(\w+)"/.exec(outcome)?.[1] ?? 'closed';
      return { failed, summary: `ws ${failed ? code : 'data'}`, blockedMs };
    }
    const response = await graphql(d.gateway.url, built.query, {
      token: tokens.get(role),
      variables: built.variables,
    });
    const blockedMs = blocked();
    const codes = (response.body.errors ?? []).map((error) => error.extensions?.code);
    if (response.status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) {
      throw new Error(
        `${response.status} ${JSON.stringify(response.body.errors)} for ${built.query} with ${JSON.stringify(built.variables)} as ${role}`,
      );
    }
    const data = response.body.data as Record<string, unknown> | null | undefined;
    const failed = data?.[built.rootField] === undefined || data?.[built.rootField] === null;
    return {
      failed,
      summary: `${built.operation} ${failed ? (codes[0] ?? 'no code') : 'data'}`,
      blockedMs,
    };
  }

  it(
    'never answers 5xx or INTERNAL_SERVER_ERROR, changes nothing on failure, never blocks the loop',
    async () => {
      loop.enable();
      // Every path the cases take is loaded (and compiled, under Jest) before anything is timed.
      for (const role of ROLES) {
        for (const overWebSocket of [false, true]) {
          for (const query of [
            '{ me { id } }',
            `{ dispute(id: "${known.disputeIds[0]}") { status timeline { summary } } }`,
            '{ disputeEventsPage(first: 1) { events { id } } }',
            '{ myDisputes { edges { node { disputeId } } } }',
            'mutation { cancelDispute(input: { disputeId: "none" }) { status } }',
          ]) {
            const operation = query.startsWith('mutation') ? 'mutation' : 'query';
            await send(role, { query, variables: {}, operation, rootField: '' }, overWebSocket);
          }
        }
      }
      let cases = 0;
      let movedAt = await d.store.headPosition();
      const outcomes = new Map<string, number>();
      const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      try {
        await fc.assert(
          fc.asyncProperty(tapeArbitrary, async ({ choices, strings, role, overWebSocket }) => {
            cases++;
            const before = await d.store.headPosition();
            if (before - movedAt > EVENTS_PER_DISPUTE && spare.length > 0) {
              const next = spare.shift()!;
              known.disputeIds[0] = next.disputeId;
              known.orderIds[0] = next.orderId;
              movedAt = before;
            }
            const built = build(schema, new Tape(choices, strings), known);
            const outcome = await send(role, built, overWebSocket);
            count(outcome.summary);
            if (outcome.failed || built.operation === 'query') {
              expect(await d.store.headPosition()).toBe(before);
            }
            const bound =
              outcome.summary === 'mutation data' ? MAX_ACCEPTED_BLOCK_MS : MAX_BLOCK_MS;
            if (outcome.blockedMs >= bound) {
              // A collection pause or the machine's scheduler can hold up one request; a request
              // that blocks the loop does it again. (A refused mutation is safe to repeat.)
              const again = await send(role, built, overWebSocket);
              expect({ query: built.query, blockedMs: again.blockedMs }).toEqual({
                query: built.query,
                blockedMs: expect.any(Number),
              });
              expect(again.blockedMs).toBeLessThan(bound);
            }
          }),
          {
            // FUZZ_SEED and FUZZ_PATH replay a failure fast-check reported.
            ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
            ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
            interruptAfterTimeLimit: SECONDS * 1000,
            numRuns: Number.MAX_SAFE_INTEGER,
            markInterruptAsFailure: false,
          },
        );
      } finally {
        loop.disable();
      }
      // What the run reached, for whoever reads the log: answers with data, refusals by code.
      console.log(
        `${cases} cases:\n${[...outcomes]
          .sort((a, b) => b[1] - a[1])
          .map(([key, n]) => `  ${key}: ${n}`)
          .join('\n')}`,
      );
      // The time limit, not a lack of cases, ended the run.
      expect(cases).toBeGreaterThan(100);
    },
    (SECONDS + 120) * 1000,
  );
});

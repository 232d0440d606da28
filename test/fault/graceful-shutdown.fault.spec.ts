import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { openStores, readModelsAndRebuild, tallyEffects } from './support/checks';
import { type Command, Load, type LoadClient, messageCommand, printFigures } from './support/load';
import { ChildApp, disposeAll, sleep, trace, waitForNoLag } from './support/processes';

/**
 * SIGTERM in the middle of concurrent mutations, as an orchestrator stops a pod: the gateway (a
 * real process, PGlite in a data directory, or PostgreSQL) must turn unready at once, keep
 * serving for SHUTDOWN_DELAY_MS, close its listener, answer every request it had begun, and exit 0
 * within SHUTDOWN_TIMEOUT_MS. Clients use keep-alive connections, as a load balancer does, and
 * classify every request: answered (a whole JSON body), refused (the connection refused or reset
 * before any answer began), cut (an answer that began and did not finish) or hung (no answer
 * within the shutdown timeout and 10 s more). None may be cut or hung, and every acknowledged command must be in the event log
 * exactly once; after a restart the read models must equal a rebuild (runners stopped between
 * batches).
 *
 * CI sends 2 s of load before the signal with 16 clients; `FAULT_SHUTDOWN_SECONDS` and
 * `FAULT_CLIENTS` make a longer run.
 */
const CLIENTS = positive('FAULT_CLIENTS', 16);
const SECONDS = positive('FAULT_SHUTDOWN_SECONDS', 2);
const SHUTDOWN_TIMEOUT_MS = 20_000;
const SHUTDOWN_DELAY_MS = 2_000;
/** Past the whole drain: an answer later than this never came (a loaded machine takes seconds). */
const REQUEST_TIMEOUT_MS = SHUTDOWN_TIMEOUT_MS + 10_000;

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

jest.setTimeout(420_000);

const POSTGRES_URL = postgresTestUrl();
const onPostgres = POSTGRES_URL ? describe : describe.skip;

type Outcome =
  | { kind: 'answered'; at: number; status: number; body: AnswerBody; connection?: string }
  | { kind: 'refused'; at: number; code: string }
  | { kind: 'cut'; at: number; reason: string }
  | { kind: 'hung'; at: number };

interface AnswerBody {
  data?: { result?: Record<string, unknown> } | null;
  errors?: { extensions?: { code?: string } }[];
}

/** One POST to `/graphql`, classified; never throws. */
function post(url: string, agent: Agent | false, token: string, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    let began = false;
    const req = request(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (res) => {
        began = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => settle({ kind: 'cut', at: Date.now(), reason: error.message }));
        res.on('aborted', () => settle({ kind: 'cut', at: Date.now(), reason: 'aborted' }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const length = res.headers['content-length'];
          if (length !== undefined && Number(length) !== Buffer.byteLength(text)) {
            settle({ kind: 'cut', at: Date.now(), reason: `${text.length} of ${length} bytes` });
            return;
          }
          try {
            settle({
              kind: 'answered',
              at: Date.now(),
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as AnswerBody,
              connection: res.headers.connection,
            });
          } catch {
            settle({ kind: 'cut', at: Date.now(), reason: `not JSON: ${text.slice(0, 80)}` });
          }
        });
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      settle({ kind: 'hung', at: Date.now() });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle(
        began
          ? { kind: 'cut', at: Date.now(), reason: error.message }
          : { kind: 'refused', at: Date.now(), code: error.code ?? error.message },
      ),
    );
    req.end(body);
  });
}

const MUTATION =
  'mutation Run($input: PostMessageInput!) { result: postMessage(input: $input) { disputeId revision } }';

/**
 * Each client posts messages on its own keep-alive connection, one after another, until
 * `stopped()`; every attempt is a command of its own (no retries: what matters is what each
 * answer said).
 */
async function clientLoop(
  url: string,
  run: string,
  client: LoadClient,
  commands: Command[],
  outcomes: Outcome[],
  stopped: () => boolean,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let n = 0; !stopped(); n++) {
      const command: Command = {
        ...messageCommand(`shutdown-${run}`, run, client, n),
        attempts: 1,
      };
      commands.push(command);
      const outcome = await post(
        url,
        agent,
        client.buyer.token,
        JSON.stringify({ query: MUTATION, variables: { input: command.input } }),
      );
      outcomes.push(outcome);
      if (outcome.kind === 'answered' && outcome.body.data?.result && !outcome.body.errors?.length)
        command.acknowledged = true;
      else {
        command.failures.push(outcome.kind);
        await sleep(50);
      }
    }
  } finally {
    agent.destroy();
  }
}

interface Probe {
  sentAt: number;
  at: number;
  status: number | string;
}

/**
 * Asks `/health/ready` on a new connection every 100 ms, without waiting for the previous answer
 * (on a loaded machine one may take seconds), recording when each was sent and what came back.
 */
async function readinessLoop(url: string, seen: Probe[], stopped: () => boolean): Promise<void> {
  const pending = new Set<Promise<void>>();
  while (!stopped()) {
    if (pending.size < 1_000) {
      const sentAt = Date.now();
      const one = new Promise<number | string>((resolve) => {
        const req = request(`${url}/health/ready`, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve('cut'));
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
        req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        req.end();
      }).then((status) => {
        seen.push({ sentAt, at: Date.now(), status });
        pending.delete(one);
      });
      pending.add(one);
    }
    await sleep(100);
  }
  await Promise.all(pending);
}

function tallyBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

async function sigtermUnderLoad(test: string, stores: Record<string, string>, apps: ChildApp[]) {
  const gateway = await ChildApp.create('gateway', {
    name: 'gateway',
    settings: {
      ...stores,
      WORKERS: 'inline',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
    },
  });
  apps.push(gateway);
  await gateway.start();
  const setup = new Load(gateway.url);
  await setup.setUp(CLIENTS);

  const commands: Command[] = [];
  const outcomes: Outcome[] = [];
  const readiness: Probe[] = [];
  const ended: { at?: number } = {};
  // The clients go on a little after the exit, so requests meet the closed port too.
  const stopped = () => ended.at !== undefined && Date.now() - ended.at > 500;
  const loops = setup.clients.map((client) =>
    clientLoop(gateway.url, setup.run, client, commands, outcomes, stopped),
  );
  const polling = readinessLoop(gateway.url, readiness, stopped);

  await sleep(SECONDS * 1_000);
  // On a loaded machine the first answers may take seconds: the signal must find the load going.
  const going = Date.now() + 90_000;
  while (
    Date.now() < going &&
    !(commands.some((c) => c.acknowledged) && readiness.some((r) => r.status === 200))
  )
    await sleep(100);
  const signalledAt = Date.now();
  gateway.signal('SIGTERM');
  const exit = await gateway.exit();
  const exitedAt = Date.now();
  ended.at = exitedAt;
  trace(`${test}: exited ${JSON.stringify(exit)} after ${exitedAt - signalledAt} ms`);
  await Promise.all([...loops, polling]);

  const count = (kind: Outcome['kind'], from = 0, to = Infinity) =>
    outcomes.filter((o) => o.kind === kind && o.at >= from && o.at <= to).length;
  const refusals: Record<string, number> = {};
  for (const o of outcomes)
    if (o.kind === 'refused') refusals[o.code] = (refusals[o.code] ?? 0) + 1;
  const errorCodes: Record<string, number> = {};
  for (const o of outcomes)
    if (o.kind === 'answered')
      for (const error of o.body.errors ?? []) {
        const code = error.extensions?.code ?? `HTTP_${o.status}`;
        errorCodes[code] = (errorCodes[code] ?? 0) + 1;
      }
  const beforeSignal = readiness.filter((r) => r.at < signalledAt);
  const unreadyBeforeExit = readiness.filter(
    (r) => r.sentAt > signalledAt && r.at < exitedAt && r.status === 503,
  );
  const answeredAfterSignal = outcomes.filter(
    (o): o is Extract<Outcome, { kind: 'answered' }> => o.kind === 'answered' && o.at > signalledAt,
  );

  // Restarted on the same store, it catches up; then it stops as gracefully the second time.
  await gateway.start();
  await waitForNoLag(gateway, 60_000);
  await gateway.stop(SHUTDOWN_TIMEOUT_MS + 5_000);
  const secondExit = await gateway.exit();

  const { incremental, rebuilt, events } = await readModelsAndRebuild(stores);
  const opened = await openStores(stores);
  let tally;
  try {
    tally = await tallyEffects(opened.eventStore, setup.run, commands);
  } finally {
    await opened.close();
  }
  const figures = {
    test,
    clients: CLIENTS,
    sent: commands.length,
    acknowledged: commands.filter((c) => c.acknowledged).length,
    answeredAfterSignal: answeredAfterSignal.length,
    refused: count('refused'),
    refusals,
    cut: count('cut'),
    hung: count('hung'),
    errorCodes,
    lost: tally.lost,
    duplicated: tally.duplicated,
    exitCode: exit.code,
    exitSignal: exit.signal,
    shutdownMs: exitedAt - signalledAt,
    unreadyProbesBeforeExit: unreadyBeforeExit.length,
    probesAfterSignal: tallyBy(
      readiness.filter((r) => r.sentAt > signalledAt),
      (r) => String(r.status),
    ),
    events,
  };
  printFigures(figures);

  expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  expect(exitedAt - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  expect({ code: secondExit.code, signal: secondExit.signal }).toEqual({ code: 0, signal: null });
  // Nothing half-answered, nothing left hanging: refused or whole.
  expect(outcomes.filter((o) => o.kind === 'cut' || o.kind === 'hung')).toEqual([]);
  for (const code of Object.keys(refusals))
    expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(code);
  // The load met the shutdown: answers while draining, refusals once the listener closed.
  expect(answeredAfterSignal.length).toBeGreaterThan(0);
  expect(refusals.ECONNREFUSED ?? 0).toBeGreaterThan(0);
  // Answers begun after the signal close their connection (keep-alive clients move on).
  const keptAlive = answeredAfterSignal.filter(
    (o) => o.at > signalledAt + 200 && o.connection !== 'close',
  );
  expect(keptAlive).toEqual([]);
  expect(errorCodes).not.toHaveProperty('INTERNAL_SERVER_ERROR');
  // Ready until the signal; unready (503) on new connections before the process exits.
  expect(beforeSignal.length).toBeGreaterThan(0);
  expect(beforeSignal.every((r) => r.status === 200)).toBe(true);
  expect(unreadyBeforeExit.length).toBeGreaterThan(0);
  // Every acknowledged command is stored, once; the runners stopped between batches.
  expect(tally).toMatchObject({ lost: 0, duplicated: 0, strangers: 0 });
  expect(figures.acknowledged).toBeGreaterThan(0);
  if (JSON.stringify(incremental) !== JSON.stringify(rebuilt)) expect(incremental).toEqual(rebuilt);
}

describe('SIGTERM of the gateway under load [pglite]', () => {
  const apps: ChildApp[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    await disposeAll(apps);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('drains: unready at once, in-flight answers whole, then refused; exit 0; nothing acknowledged lost', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'arbiter-fault-shutdown-'));
    await sigtermUnderLoad(
      'gateway-sigterm-pglite',
      { EVENT_STORE: 'pglite', PGLITE_DATA_DIR: join(dataDir, 'data') },
      apps,
    );
  });
});

onPostgres('SIGTERM of the gateway under load [postgres]', () => {
  const apps: ChildApp[] = [];
  let database: { url: string; drop(): Promise<void> } | undefined;
  afterAll(async () => {
    await disposeAll(apps);
    await database?.drop();
  });

  it('drains: unready at once, in-flight answers whole, then refused; exit 0; nothing acknowledged lost', async () => {
    database = await createPostgresTestDatabase(POSTGRES_URL as string, 'fault');
    await sigtermUnderLoad(
      'gateway-sigterm-postgres',
      { EVENT_STORE: 'postgres', DATABASE_URL: database.url },
      apps,
    );
  });
});

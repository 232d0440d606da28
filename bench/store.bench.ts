/**
 * Event store throughput against bare SQL through the same driver (`pg`), in one run:
 * - append: one ~200-byte event to a fresh stream per call, vs a bare single-row INSERT
 *   (autocommit) into a table of the same shape (same columns, keys and unique indexes);
 * - readAll: the whole log in pages of 1000, vs a bare SELECT of the same rows in the same pages.
 * Both sides use a named (prepared) statement through the same pool, so neither pays parse/plan per
 * call. Rounds alternate store and baseline (the order flips each round); each figure is the median
 * round, and beside it the median (and range) of the per-round ratios, store round over the baseline
 * round next to it, which drifting background load affects less. The machine is small and shared:
 * the load average is printed at the start and the end. The last line is the JSON summary.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { Pool } from 'pg';
import { KurrentDBClient, NO_STREAM, START, streamNameFilter } from '@kurrent/kurrentdb-client';
import {
  createKurrentDbEventStore,
  createSqlEventStore,
  EventStore,
  EventToAppend,
  POSITION_SHIFT,
  SqlEventStore,
} from '@arbiter/event-store';

const URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `bench_store_${process.pid}`;
const ROUND_MS = 800;
const ROUNDS = 9;
const CONCURRENCY = [1, 8, 32];
const PAGE = 1_000;

function sampleEvent(): EventToAppend {
  return {
    id: randomUUID(),
    type: 'DisputeOpened',
    data: {
      disputeId: randomUUID(),
      orderId: randomUUID(),
      amount: { cents: 12_500, currency: 'EUR' },
      reason: 'item_not_received',
      openedAt: new Date(0).toISOString(),
    },
    metadata: {
      correlationId: randomUUID(),
      actor: { id: 'buyer-1', role: 'buyer' },
      schemaVersion: 1,
    },
  };
}

/** Operations per second of `op` run by `concurrency` workers for `ms`. */
async function throughput(
  concurrency: number,
  ms: number,
  op: () => Promise<unknown>,
): Promise<number> {
  let done = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await op();
        done++;
      }
    }),
  );
  return (done * 1000) / (performance.now() - started);
}

/**
 * ROUNDS rounds of each operation at `concurrency`, alternating, the order flipped every round so
 * drifting load weighs on both alike; the rates of each, round by round.
 */
async function alternatingRounds(
  concurrency: number,
  measured: () => Promise<unknown>,
  baseline: () => Promise<unknown>,
): Promise<[number[], number[]]> {
  const measuredRates: number[] = [];
  const baselineRates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [measured, baseline] : [baseline, measured];
    for (const op of order) {
      const rate = await throughput(concurrency, ROUND_MS, op);
      (op === measured ? measuredRates : baselineRates).push(rate);
    }
  }
  return [measuredRates, baselineRates];
}

/** The store's whole log through `readAll`, in pages of PAGE; the number of events read. */
async function readWholeLog(store: EventStore): Promise<number> {
  let after = -1n;
  let total = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: PAGE });
    total += page.length;
    if (page.length < PAGE) return total;
    after = page[page.length - 1].position;
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const pool = new Pool({ connectionString: URL, max: 34 });
  pool.on('error', () => undefined);
  const connection = { kind: 'postgres' as const, pool, close: () => pool.end() };
  const store = await createSqlEventStore(connection, { schema: SCHEMA });
  try {
    await run(pool, store);
  } finally {
    await store.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool.end();
  }
}

async function run(pool: Pool, store: SqlEventStore) {
  await pool.query(`
    CREATE TABLE ${SCHEMA}.bare (LIKE ${SCHEMA}.events INCLUDING ALL);
    CREATE SEQUENCE ${SCHEMA}.bare_seq;`);

  const insertBare = () => {
    const event = sampleEvent();
    return pool.query({
      name: 'bench_bare_insert',
      text: `INSERT INTO ${SCHEMA}.bare (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
             VALUES (nextval('${SCHEMA}.bare_seq'), pg_current_xact_id(), $1, 0, $2, $3, $4, $5)`,
      values: [
        `dispute-${randomUUID()}`,
        event.id,
        event.type,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata),
      ],
    });
  };
  const appendStore = () =>
    store.append(`dispute-${randomUUID()}`, [sampleEvent()], { expectedRevision: 'no_stream' });

  // Warm up: prepared statements on every connection, caches, the table's first pages.
  await throughput(32, 500, appendStore);
  await throughput(32, 500, insertBare);

  const summary: Record<string, number> = {};
  console.log(
    `machine: ${cpus().length} cores, Node ${process.version}, load average ${loadText()}`,
  );
  for (const concurrency of CONCURRENCY) {
    const [storeRates, bareRates] = await alternatingRounds(concurrency, appendStore, insertBare);
    const s = median(storeRates);
    const b = median(bareRates);
    const pairs = storeRates.map((rate, i) => rate / bareRates[i]);
    summary[`append_ratio_c${concurrency}`] = round3(s / b);
    summary[`append_pair_ratio_c${concurrency}`] = round3(median(pairs));
    console.log(
      `append c=${concurrency}: store ${s.toFixed(0)}/s, bare INSERT ${b.toFixed(0)}/s, ratio ${(s / b).toFixed(3)}; ` +
        `per-round ratio median ${median(pairs).toFixed(3)} (${Math.min(...pairs).toFixed(2)} – ${Math.max(...pairs).toFixed(2)})` +
        `  (rounds store ${storeRates.map((r) => r.toFixed(0)).join(' ')}; bare ${bareRates.map((r) => r.toFixed(0)).join(' ')})`,
    );
  }

  // Same rows for both readers: copy the store's log into the bare table.
  await pool.query(
    `TRUNCATE ${SCHEMA}.bare; INSERT INTO ${SCHEMA}.bare SELECT * FROM ${SCHEMA}.events; ANALYZE ${SCHEMA}.bare; ANALYZE ${SCHEMA}.events`,
  );
  const [{ count }] = (await pool.query<{ count: string }>(`SELECT count(*) FROM ${SCHEMA}.events`))
    .rows;
  const rows = Number(count);
  const readStore = () => readWholeLog(store);
  const readBare = async () => {
    let after = '-1';
    let total = 0;
    for (;;) {
      const page = await pool.query({
        name: 'bench_bare_select',
        // `b.position`: the column; a bare `position` would sort by the text alias of that name.
        text: `SELECT b.position::text AS position, stream_id, revision::text AS revision, event_id, type, data, metadata, recorded_at
               FROM ${SCHEMA}.bare b WHERE b.position > $1::bigint ORDER BY b.position LIMIT ${PAGE}`,
        values: [after],
      });
      const mapped = page.rows.map((row) => ({
        ...row,
        position: BigInt(row.position),
        revision: BigInt(row.revision),
      }));
      total += mapped.length;
      if (mapped.length < PAGE) return total;
      after = page.rows[page.rows.length - 1].position;
    }
  };
  const counts = [await readStore(), await readBare()];
  if (counts[0] !== rows || counts[1] !== rows)
    throw new Error(`readers disagree: ${rows} rows, read ${counts.join(' and ')}`);
  const storeReads: number[] = [];
  const bareReads: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [readStore, readBare] : [readBare, readStore];
    for (const reader of order) {
      const started = performance.now();
      await reader();
      (reader === readStore ? storeReads : bareReads).push(
        (rows * 1000) / (performance.now() - started),
      );
    }
  }
  const s = median(storeReads);
  const b = median(bareReads);
  summary.read_ratio = round3(s / b);
  console.log(
    `readAll ${rows} rows: store ${s.toFixed(0)} rows/s, bare SELECT ${b.toFixed(0)} rows/s, ratio ${(s / b).toFixed(3)}`,
  );
  console.log(`(positions are xid << ${POSITION_SHIFT} + n; see libs/event-store/README.md)`);

  const kurrentdb = await runKurrentDb();

  console.log(`load average at the end ${loadText()}`);
  console.log(JSON.stringify({ bench: 'store', ...summary, kurrentdb }));
}

/**
 * The KurrentDB column, when `KURRENTDB_URL` names a server: the adapter against the official
 * client's own calls in the same run (append to a new stream with `no_stream`; the whole log in
 * pages), so the ratio is what the adapter adds (its read of the stream before each append, the
 * mapping). `KURRENTDB_URL=standin` measures against the in-process protocol stand-in: that
 * shows the adapter's overhead only, never KurrentDB's speed.
 */
async function runKurrentDb(): Promise<Record<string, number> | { skipped: string }> {
  let url = process.env.KURRENTDB_URL;
  let stopStandIn: (() => Promise<void>) | undefined;
  if (!url) {
    const skipped = 'KURRENTDB_URL is not set (a kurrentdb:// URL, or "standin")';
    console.log(`kurrentdb: null (${skipped})`);
    return { skipped };
  }
  if (url === 'standin') {
    const { startKurrentDbStandIn } =
      await import('../libs/event-store/src/testing/kurrentdb-standin');
    const standIn = await startKurrentDbStandIn({ port: 0 });
    url = standIn.url;
    stopStandIn = () => standIn.stop();
    console.log(`kurrentdb: against the protocol stand-in at ${url} (adapter overhead only)`);
  }
  const prefix = `bench${process.pid}.`;
  const store = createKurrentDbEventStore(url, { streamPrefix: prefix });
  const client = KurrentDBClient.connectionString(url);
  const summary: Record<string, number> = {};
  try {
    const appendStore = () =>
      store.append(`dispute-${randomUUID()}`, [sampleEvent()], { expectedRevision: 'no_stream' });
    const appendRaw = () => {
      const event = sampleEvent();
      return client.appendToStream(
        `${prefix}raw-${randomUUID()}`,
        {
          id: event.id,
          type: event.type,
          contentType: 'application/json',
          data: event.data as never,
          metadata: event.metadata as never,
        },
        { streamState: NO_STREAM },
      );
    };
    await throughput(8, 500, appendStore);
    await throughput(8, 500, appendRaw);
    for (const concurrency of CONCURRENCY) {
      const [storeRates, rawRates] = await alternatingRounds(concurrency, appendStore, appendRaw);
      const a = median(storeRates);
      const r = median(rawRates);
      summary[`append_c${concurrency}`] = Math.round(a);
      summary[`append_ratio_c${concurrency}`] = round3(a / r);
      console.log(
        `kurrentdb append c=${concurrency}: adapter ${a.toFixed(0)}/s, client appendToStream ${r.toFixed(0)}/s, ratio ${(a / r).toFixed(3)}`,
      );
    }
    const readStore = () => readWholeLog(store);
    const readRaw = async () => {
      let total = 0;
      for await (const resolved of client.readAll({
        fromPosition: START,
        filter: streamNameFilter({ prefixes: [`${prefix}dispute-`] }),
      })) {
        if (resolved.event) total++;
      }
      return total;
    };
    const rows = await readStore();
    const storeReads: number[] = [];
    const rawReads: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const reader of round % 2 === 0 ? [readStore, readRaw] : [readRaw, readStore]) {
        const started = performance.now();
        await reader();
        (reader === readStore ? storeReads : rawReads).push(
          (rows * 1000) / (performance.now() - started),
        );
      }
    }
    const s = median(storeReads);
    const r = median(rawReads);
    summary.read_rows_per_s = Math.round(s);
    summary.read_ratio = round3(s / r);
    console.log(
      `kurrentdb readAll ${rows} events: adapter ${s.toFixed(0)}/s, client readAll ${r.toFixed(0)}/s, ratio ${(s / r).toFixed(3)}`,
    );
    return summary;
  } finally {
    await store.close();
    await client.dispose();
    await stopStandIn?.();
  }
}

const loadText = () =>
  loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');

const round3 = (value: number) => Math.round(value * 1000) / 1000;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

import { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { postgresTestUrl } from '@arbiter/event-store/testing';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';
import { act, ask, openDispute, people, ReadGateway, startReadGateway } from '../e2e/read-helpers';
import { printFigures } from './support/load';

/**
 * Someone else's long transaction on the same PostgreSQL server (maintenance in another database,
 * a forgotten psql session in this one) must change nothing for Arbiter: the gateway (projections
 * in process) runs the same load with and without two foreign transactions holding an xid, and
 * with them open every mutation still answers with its own change (read-your-writes), a query
 * right after sees it, and `/health/ready` answers at once. Figures for both phases are printed.
 */
const url = postgresTestUrl();

/** Each phase: this long, with this many concurrent writers, each on a dispute of its own. */
const PHASE_MS = Number(process.env.FAULT_SECONDS ?? 4) * 1_000;
const WRITERS = 4;

interface Phase {
  name: string;
  acknowledged: number;
  consistent: number;
  latenciesMs: number[];
  missingFromNextQuery: number;
  healthMs: number[];
  healthStatuses: number[];
  /** Probes where a check ran out of its second and repeated its previous reading. */
  healthStale: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

(url ? describe : describe.skip)('a foreign transaction holding an xid [postgres]', () => {
  let r: ReadGateway;
  let foreignDatabase: { url: string; drop(): Promise<void> };
  const held: Client[] = [];

  beforeAll(async () => {
    r = await startReadGateway('postgres');
    foreignDatabase = await createPostgresTestDatabase(url as string, 'foreign');
  });

  afterAll(async () => {
    for (const client of held) await client.end().catch(() => undefined);
    await r?.close();
    await foreignDatabase?.drop();
  });

  /** BEGIN and take an xid, then leave the transaction open until the test ends it. */
  async function holdTransaction(databaseUrl: string): Promise<Client> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT pg_current_xact_id()');
    held.push(client);
    return client;
  }

  async function runPhase(name: string): Promise<Phase> {
    const phase: Phase = {
      name,
      acknowledged: 0,
      consistent: 0,
      latenciesMs: [],
      missingFromNextQuery: 0,
      healthMs: [],
      healthStatuses: [],
      healthStale: 0,
    };
    // Each writer's dispute is opened before the phase's clock starts: on a loaded machine the
    // setup alone can take longer than a phase, which would leave nothing measured.
    const writers = await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        const who = await people(r);
        const opened = await openDispute(r, who);
        return { who, disputeId: opened.dispute.disputeId };
      }),
    );
    const until = Date.now() + PHASE_MS;
    const writer = async (w: number) => {
      const { who, disputeId } = writers[w];
      for (let n = 0; Date.now() < until; n++) {
        const body = `${name} writer ${w} message ${n}`;
        const started = performance.now();
        const answer = await act(r.url, who.buyer, 'postMessage', { disputeId, body });
        phase.latenciesMs.push(performance.now() - started);
        phase.acknowledged++;
        if (answer.readYourWrites.every((note) => note.consistent)) phase.consistent++;
        // The buyer's next query, at once: their message is there.
        const next = await ask<{ dispute: { messages: { body: string }[] } | null }>(
          r.url,
          who.buyer,
          `query One($id: ID!) { dispute(id: $id) { messages { body } } }`,
          { id: disputeId },
        );
        if (!next.data?.dispute?.messages.some((message) => message.body === body)) {
          phase.missingFromNextQuery++;
        }
      }
    };
    const prober = async () => {
      while (Date.now() < until) {
        const started = performance.now();
        const response = await fetch(`${r.url}/health/ready`, {
          signal: AbortSignal.timeout(30_000),
        });
        if ((await response.text()).includes('"stale"')) phase.healthStale++;
        phase.healthMs.push(performance.now() - started);
        phase.healthStatuses.push(response.status);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w)), prober()]);
    return phase;
  }

  function figures(phase: Phase) {
    const sorted = [...phase.latenciesMs].sort((a, b) => a - b);
    const health = [...phase.healthMs].sort((a, b) => a - b);
    return {
      acknowledged: phase.acknowledged,
      perSecond: Math.round((phase.acknowledged / PHASE_MS) * 1_000 * 10) / 10,
      consistent: phase.consistent,
      missingFromNextQuery: phase.missingFromNextQuery,
      p50Ms: Math.round(quantile(sorted, 0.5)),
      p99Ms: Math.round(quantile(sorted, 0.99)),
      healthMaxMs: Math.round(health.at(-1) ?? 0),
      healthNot200: phase.healthStatuses.filter((status) => status !== 200).length,
      healthStale: phase.healthStale,
    };
  }

  it('changes nothing measurable: read-your-writes, the next query and readiness hold while it is open', async () => {
    const before = await runPhase('alone');

    // One in another database on the same server, one in this database touching nothing of ours.
    await holdTransaction(foreignDatabase.url);
    await holdTransaction(r.gateway.app.get(ConfigService).getOrThrow<string>('DATABASE_URL'));
    const during = await runPhase('foreign');

    const a = figures(before);
    const b = figures(during);
    printFigures({
      test: 'foreign-transaction',
      alone: a,
      foreign: b,
      throughputRatio: Number((b.perSecond / Math.max(a.perSecond, 0.1)).toFixed(2)),
    });

    expect(during.acknowledged).toBeGreaterThan(0);
    // With the server-wide fence nearly every mutation waited out its bounded wait and answered
    // from its own events (consistent: false), and the next query missed the change.
    expect(during.consistent).toBe(during.acknowledged);
    expect(during.missingFromNextQuery).toBe(0);
    // Readiness never waited on the fence: every probe answered 200, none anywhere near the
    // 2 s fence wait (the bound is generous for a loaded machine; the figures show the real time).
    expect(b.healthNot200).toBe(0);
    expect(b.healthMaxMs).toBeLessThan(2_000);
  });
});

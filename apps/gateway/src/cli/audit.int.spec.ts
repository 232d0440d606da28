import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, addDays } from '@arbiter/disputes';
import { createSqlEventStore } from '@arbiter/event-store';
import { describeWithPostgres } from '@arbiter/event-store/testing';
import { openSqlConnection } from '@arbiter/platform';
import { DisputeScenario, mediatedStory } from '@arbiter/read-models/projections/testing/scenario';
import { createPostgresTestDatabase } from '@arbiter/read-models/testing/read-databases';

/** The audit CLI as an operator runs it (`npm run audit -- …`): a child process on the configured store. */
const ROOT = join(__dirname, '../../../..');
const run = (env: Record<string, string>, ...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        join(__dirname, 'audit.ts'),
        ...args,
      ],
      { cwd: ROOT, env: { ...process.env, ...env, LOG_LEVEL: 'silent', NODE_ENV: 'test' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });

jest.setTimeout(180_000);

describeWithPostgres('npm run audit', (url) => {
  it('prints a signed digest, names what was changed after it (exit 1), refuses an altered digest (exit 2)', async () => {
    const database = await createPostgresTestDatabase(url, 'audit_cli');
    const connection = await openSqlConnection({ kind: 'postgres', url: database.url });
    const store = await createSqlEventStore(connection);
    try {
      const scenario = new DisputeScenario(store);
      const people: Record<string, Actor> = {
        buyer: { id: 'b-1', role: 'buyer' },
        seller: { id: 's-1', role: 'seller' },
        mediator: { id: 'm-1', role: 'mediator' },
      };
      const T0 = '2026-03-01T00:00:00.000Z';
      await scenario.placeShippedOrder({
        orderId: 'o-1',
        buyerId: 'b-1',
        sellerId: 's-1',
        total: { amountMinor: 10_000, currency: 'EUR' },
        at: T0,
      });
      await mediatedStory(
        scenario,
        { disputeId: 'd-1', orderId: 'o-1' },
        { buyer: people.buyer, seller: people.seller, mediator: people.mediator },
        addDays(T0, 6),
        'escalated',
      );
      const env = {
        EVENT_STORE: 'postgres',
        DATABASE_URL: database.url,
        AUDIT_SIGNING_KEY: generateKeyPairSync('ed25519')
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
        // A configured deployment: no development key file is written into the checkout.
        PERSONAL_DATA_KEY: randomBytes(32).toString('base64'),
      };

      const published = await run(env, 'digest', '--publish');
      expect(published.status).toBe(0);
      const digest = JSON.parse(published.stdout) as { count: number; signature: string };
      expect(digest.count).toBe((await store.readAll()).length);
      const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
      const file = join(dir, 'digest.json');
      writeFileSync(file, published.stdout);

      if (connection.kind !== 'postgres') throw new Error('a PostgreSQL connection');
      const [row] = (
        await connection.pool.query<{ event_id: string }>(
          `UPDATE arbiter.events SET data = data || '{"comment":"forged"}' WHERE stream_id = 'dispute-d-1' AND revision = 1 RETURNING event_id`,
        )
      ).rows;
      const tampered = await run(env, 'verify', '--digest', file, '--dispute', 'd-1');
      expect(tampered.status).toBe(1);
      expect(tampered.stdout).toMatch(/^Dispute d-1 was TAMPERED WITH/);
      expect(tampered.stdout).toMatch(
        new RegExp(`changed: position \\d+, dispute-d-1 revision 1, event ${row.event_id}: data`),
      );

      const altered = join(dir, 'altered.json');
      writeFileSync(altered, JSON.stringify({ ...digest, count: digest.count - 1 }));
      const refused = await run(env, 'verify', '--digest', altered);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/^AUDIT_DIGEST_SIGNATURE_INVALID: /);

      // A mistyped dispute is no dispute, never "INTACT" with nothing to vouch for.
      const unknown = await run(env, 'verify', '--digest', file, '--dispute', 'no-such-dispute');
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toMatch(/^DISPUTE_NOT_FOUND: no event of dispute no-such-dispute/m);

      // The log and its audit record both cut short: the signed digest is not reached, which is
      // a finding (exit 1), not a bad input (exit 2).
      await connection.pool.query(
        'DELETE FROM arbiter.events; DELETE FROM read_models.audit_leaves; DELETE FROM read_models.audit_digests',
      );
      const cut = await run(env, 'verify', '--digest', file);
      expect(cut.status).toBe(1);
      expect(cut.stderr).toMatch(/^AUDIT_DIGEST_BEYOND_LOG: /m);
      expect(cut.stderr).toMatch(/^NOT INTACT: /m);
    } finally {
      await store.close();
      await connection.close();
      await database.drop();
    }
  });
});

/**
 * Runs the KurrentDB stand-in on its own, for trying the app against "KurrentDB" where no real
 * server can run: `npm run kurrentdb:standin -- [--port 2113] [--host 127.0.0.1] [--trace]`.
 * The log lives in memory and is gone when the process ends.
 */
import { parseArgs } from 'node:util';
import { startKurrentDbStandIn } from './kurrentdb-standin';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '2113' },
      host: { type: 'string', default: '127.0.0.1' },
      trace: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be a TCP port, got ${values.port}`);
  }
  const standIn = await startKurrentDbStandIn({
    port,
    host: values.host,
    trace: values.trace ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  process.stdout.write(`KurrentDB stand-in listening on ${standIn.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    standIn.stop().then(
      () => {
        process.stdout.write(`KurrentDB stand-in stopped (${signal})\n`);
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

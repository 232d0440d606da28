/**
 * Tails Arbiter's `disputeEvents` subscription over graphql-ws from a saved cursor: prints each
 * event as a JSON line, saves its cursor after printing, and resumes from the saved cursor after
 * a restart, or from `resumeAfter` when the server says it fell behind.
 *
 *   TOKEN=$(npm run -s token -- --role analyst --sub analyst-1) \
 *     npx ts-node examples/analytics-consumer/graphql-tail.ts
 *
 * Settings: GRAPHQL_WS_URL (ws://localhost:3000/graphql), TOKEN (an analyst or platform bearer
 * token: the platform form keeps people's ids where the analyst form pseudonymises them; both
 * withhold personal text and notes), CURSOR_FILE (./analytics-cursor.txt).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const QUERY = `subscription Tail($after: String) {
  disputeEvents(after: $after) {
    cursor id type schemaVersion disputeId revision recordedAt actorRole data
  }
}`;

export interface TailOptions {
  url: string;
  token: string;
  cursorFile: string;
  /** Stop after this many events (tests); default: run until signalled. */
  limit?: number;
  /** Wait before subscribing again when the server ended the subscription; default 1 s. */
  retryDelayMs?: number;
  signal?: AbortSignal;
  print?: (line: string) => void;
}

interface TailEvent {
  cursor: string;
  [field: string]: unknown;
}

export async function tail(options: TailOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  const client = createClient({
    url: options.url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${options.token}` },
  });
  let printed = 0;
  try {
    for (;;) {
      const after = existsSync(options.cursorFile)
        ? readFileSync(options.cursorFile, 'utf8').trim() || null
        : null;
      const subscription = client.iterate<{ disputeEvents: TailEvent }>({
        query: QUERY,
        variables: { after },
      });
      const stop = () => void subscription.return?.();
      options.signal?.addEventListener('abort', stop, { once: true });
      let resumeAfter: string | null | undefined;
      try {
        for await (const result of subscription) {
          const error = result.errors?.[0];
          if (error) {
            // SUBSCRIBER_TOO_SLOW (we fell behind) or EVENT_FEED_INTERRUPTED: resume where told.
            if (error.extensions?.resumeAfter !== undefined) {
              resumeAfter = error.extensions.resumeAfter as string | null;
              break;
            }
            throw new Error(`${String(error.extensions?.code)}: ${error.message}`);
          }
          const event = result.data?.disputeEvents as TailEvent;
          print(JSON.stringify(event));
          writeFileSync(options.cursorFile, event.cursor);
          printed += 1;
          if (options.limit !== undefined && printed >= options.limit) return printed;
        }
      } finally {
        options.signal?.removeEventListener('abort', stop);
      }
      if (options.signal?.aborted || resumeAfter === undefined) return printed;
      if (resumeAfter !== null) writeFileSync(options.cursorFile, resumeAfter);
      // The server asked us to come back (we fell behind, or its event log failed): not at once.
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1_000));
    }
  } finally {
    await client.dispose();
  }
}

if (require.main === module) {
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  const token = process.env.TOKEN;
  if (!token) {
    console.error('TOKEN must hold an analyst (or platform) bearer token');
    process.exit(2);
  }
  tail({
    url: process.env.GRAPHQL_WS_URL ?? 'ws://localhost:3000/graphql',
    token,
    cursorFile: process.env.CURSOR_FILE ?? './analytics-cursor.txt',
    signal: abort.signal,
  }).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

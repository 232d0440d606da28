/**
 * A durable JetStream pull consumer of Arbiter's analytics feed: keeps daily counts by reason and
 * outcome and the median time to resolution in a state file, acks each message only after the
 * state that counts it is saved, and picks up where it left off after a restart (the durable
 * consumer remembers what was acked; the state file skips anything redelivered).
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx ts-node examples/analytics-consumer/jetstream-consumer.ts
 *
 * Settings: NATS_URL, NATS_STREAM (ARBITER_EVENTS), NATS_SUBJECT_PREFIX (arbiter.events),
 * SUBJECTS (comma-separated; default `<prefix>.>`, every event type; several need NATS 2.10+),
 * CONSUMER_NAME (analytics-example), STATE_FILE (./analytics-state.json). A durable consumer keeps
 * its subjects: give it a new CONSUMER_NAME when you change them.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { apply, type FeedEvent, report } from './dispute-stats';
import { loadState, saveState } from './state-file';

export interface ConsumerOptions {
  natsUrl: string;
  stream: string;
  subjectPrefix: string;
  consumerName: string;
  stateFile: string;
  /** Subjects to consume; default every event type (`<subjectPrefix>.>`). */
  subjects?: readonly string[];
  /** Stop once no message arrived for this long (tests, batch jobs); default: run until signalled. */
  stopWhenIdleMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export async function runConsumer(options: ConsumerOptions): Promise<ReturnType<typeof report>> {
  const log = options.log ?? ((line: string) => console.log(line));
  const nc = await connect({ servers: options.natsUrl.split(','), name: options.consumerName });
  try {
    const jsm = await jetstreamManager(nc);
    const subjects = [...(options.subjects ?? [`${options.subjectPrefix}.>`])];
    // Durable: the server keeps its position across restarts. Adding it again with the same
    // settings is a no-op.
    await jsm.consumers.add(options.stream, {
      durable_name: options.consumerName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Several subjects need NATS 2.10 or newer; one works on every JetStream server.
      ...(subjects.length === 1 ? { filter_subject: subjects[0] } : { filter_subjects: subjects }),
      max_ack_pending: 1_000,
    });
    const consumer = await jetstream(nc).consumers.get(options.stream, options.consumerName);
    let state = loadState(options.stateFile);
    while (!options.signal?.aborted) {
      const batch = await consumer.fetch({
        max_messages: 100,
        expires: Math.max(1_000, Math.min(options.stopWhenIdleMs ?? 5_000, 30_000)),
      });
      let received = 0;
      for await (const message of batch) {
        received += 1;
        state = apply(state, message.json<FeedEvent>());
        saveState(options.stateFile, state);
        // Acked after the state is on disk: a crash before this redelivers, and `apply` skips it.
        await message.ackAck();
      }
      if (received === 0 && options.stopWhenIdleMs !== undefined) break;
      if (received > 0) log(JSON.stringify(report(state)));
    }
    return report(state);
  } finally {
    await nc.drain();
  }
}

if (require.main === module) {
  const abort = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort.abort());
  runConsumer({
    natsUrl: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    stream: process.env.NATS_STREAM ?? 'ARBITER_EVENTS',
    subjectPrefix: process.env.NATS_SUBJECT_PREFIX ?? 'arbiter.events',
    consumerName: process.env.CONSUMER_NAME ?? 'analytics-example',
    subjects: process.env.SUBJECTS?.split(',').map((subject) => subject.trim()),
    stateFile: process.env.STATE_FILE ?? './analytics-state.json',
    signal: abort.signal,
  }).then(
    (final) => console.log(JSON.stringify(final, null, 2)),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}

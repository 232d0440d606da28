import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { Actor, RequestContext } from '@arbiter/auth';
import { READ_DB, type ReadDb, type TimelineEntry, timelinesOf } from '@arbiter/read-models';

/**
 * Per-request DataLoader of whole timelines: a list of N disputes asking for `timeline` costs one
 * query (`timelinesOf`), not N. Keyed by the request context, so nothing is cached across
 * requests (or across callers: the reader decides what each entry shows, how it is worded and
 * numbered).
 */
@Injectable()
export class TimelineLoader {
  private readonly loaders = new WeakMap<RequestContext, DataLoader<string, TimelineEntry[]>>();

  constructor(@Inject(READ_DB) private readonly db: ReadDb) {}

  load(context: RequestContext, reader: Actor, disputeId: string): Promise<TimelineEntry[]> {
    let loader = this.loaders.get(context);
    if (!loader) {
      loader = new DataLoader((ids: readonly string[]) => this.batch(reader, ids), {
        maxBatchSize: 100,
      });
      this.loaders.set(context, loader);
    }
    return loader.load(disputeId);
  }

  /** One query for every dispute of the batch (public so tests can count the batches). */
  batch(reader: Actor, disputeIds: readonly string[]): Promise<TimelineEntry[][]> {
    return timelinesOf(this.db, reader, disputeIds);
  }
}

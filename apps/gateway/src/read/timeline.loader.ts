import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import type { RequestContext } from '@arbiter/auth';
import type { Role } from '@arbiter/disputes';
import { READ_DB, type ReadDb, type TimelineEntry, timelinesOf } from '@arbiter/read-models';

/**
 * Per-request DataLoader of whole timelines: a list of N disputes asking for `timeline` costs one
 * query (`timelinesOf`), not N. Keyed by the request context, so nothing is cached across
 * requests (or across callers: the role filters what each entry shows).
 */
@Injectable()
export class TimelineLoader {
  private readonly loaders = new WeakMap<RequestContext, DataLoader<string, TimelineEntry[]>>();

  constructor(@Inject(READ_DB) private readonly db: ReadDb) {}

  load(context: RequestContext, role: Role, disputeId: string): Promise<TimelineEntry[]> {
    let loader = this.loaders.get(context);
    if (!loader) {
      loader = new DataLoader((ids: readonly string[]) => this.batch(role, ids), {
        maxBatchSize: 100,
      });
      this.loaders.set(context, loader);
    }
    return loader.load(disputeId);
  }

  /** One query for every dispute of the batch (public so tests can count the batches). */
  batch(role: Role, disputeIds: readonly string[]): Promise<TimelineEntry[][]> {
    return timelinesOf(this.db, role, disputeIds);
  }
}

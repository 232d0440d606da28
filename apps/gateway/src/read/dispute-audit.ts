import { type EventStore, type RecordedEvent, storedEventsOf } from '@arbiter/event-store';
import {
  DEFAULT_POLICY,
  type DisputeEvent,
  type DisputePolicy,
  type DisputeState,
  disputeStreamId,
  initialState,
  replay,
} from '@arbiter/disputes';
import { type DisputeView, replayView } from '@arbiter/disputes/read-side';
import { type ChainVerification, verifyChain } from '@arbiter/disputes/application/audit-chain';

export interface AuditPoint {
  /** Inclusive: the state after this revision. */
  asOfRevision?: number | null;
  /** Inclusive: the state after every event recorded at or before this instant. */
  asOfTime?: Date | null;
}

export interface DisputeAuditResult {
  disputeId: string;
  /** The last revision included; -1 when nothing was recorded by then. */
  revision: number;
  state: DisputeState;
  /** The case as the staff saw it then: the same `evolveView` fold every view is built by. */
  view: DisputeView | null;
  events: RecordedEvent[];
}

/**
 * docs/domain.md#audit: the case as it stood at a revision or an instant, replayed from the stream
 * (never from a read model) through the decider's `evolve` and through `evolveView` (the view
 * staff are shown), and the proof that the stream was not
 * altered: each event's metadata hash chains to the previous one (see audit-chain.ts).
 */
export class DisputeAudit {
  constructor(
    private readonly store: EventStore,
    /** What the replayed view's next action is read with. */
    readonly policy: DisputePolicy = DEFAULT_POLICY,
  ) {}

  /** Null when the dispute has no events at all. */
  async asOf(disputeId: string, point: AuditPoint = {}): Promise<DisputeAuditResult | null> {
    const all = await this.stream(disputeId);
    if (all.length === 0) return null;
    const events = all.filter(
      (event) =>
        (point.asOfRevision === undefined ||
          point.asOfRevision === null ||
          event.revision <= BigInt(point.asOfRevision)) &&
        (!point.asOfTime || event.recordedAt.getTime() <= point.asOfTime.getTime()),
    );
    const domainEvents = events.map(
      (event) => ({ type: event.type, data: event.data }) as DisputeEvent,
    );
    const state = replay(domainEvents, initialState);
    const view = replayView(domainEvents, 'staff');
    return { disputeId, revision: events.length - 1, state, view, events };
  }

  /** Over the events as stored: the chain hashed those bytes, never an upcast reading of them. */
  async verify(disputeId: string): Promise<ChainVerification> {
    return verifyChain(await this.stream(disputeId, storedEventsOf(this.store)));
  }

  private async stream(disputeId: string, store = this.store): Promise<RecordedEvent[]> {
    const events = await store.readStream(disputeStreamId(disputeId));
    // In revision order whatever the adapter returns (the SQL adapter has sorted revisions as text).
    return events.sort((a, b) => (a.revision < b.revision ? -1 : a.revision > b.revision ? 1 : 0));
  }
}

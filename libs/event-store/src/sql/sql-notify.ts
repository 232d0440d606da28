import type { PollingSubscription } from '../subscription';
import type { SqlStoreContext } from './sql-context';

/**
 * Cross-process wake-ups are throttled to one NOTIFY per this interval (a subscriber elsewhere hears
 * of an append at most this much later). Each NOTIFY is a round trip and a transaction of its own:
 * sent per append, it cost a single-connection writer about a fifth of its throughput.
 */
const NOTIFY_GAP_MS = 10;

/**
 * Who hears of an append: this process's subscriptions at once, other processes through
 * LISTEN/NOTIFY on the store's channel. One listener while any subscription is open.
 */
export class SqlNotifier {
  private readonly channel: string;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;

  private listener: { stop(): Promise<void> } | undefined;
  private listenerBroken = false;
  private listenerSync: Promise<void> = Promise.resolve();

  private notifyInFlight: Promise<void> | undefined;
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private notifyPending = false;
  private lastNotifyAt = -Infinity;

  constructor(
    private readonly ctx: SqlStoreContext,
    /** Called before subscribers are woken, for an append here or a notification from elsewhere. */
    private readonly onWake: () => void = () => undefined,
  ) {
    this.channel = `${ctx.schema}_events`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Whether notifications from other processes arrive: otherwise subscribers poll more often. */
  listening(): boolean {
    return this.listener !== undefined && !this.listenerBroken;
  }

  /** Replaces a broken listener, in the background. */
  resync(): void {
    void this.syncListener();
  }

  async attach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.add(subscription);
    await this.syncListener();
  }

  async detach(subscription: PollingSubscription): Promise<void> {
    this.subscriptions.delete(subscription);
    await this.syncListener();
  }

  /** Ends subscriptions and the listener, and sends the NOTIFY still owed. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.flushNotifications();
    await this.syncListener();
  }

  /**
   * Wake this process's subscribers at once, and other processes through NOTIFY. The NOTIFY is not
   * part of the append's transaction on purpose: PostgreSQL serialises the commits of all
   * transactions that notify (a database-wide lock held through the commit's WAL flush), which would
   * cap append throughput at one commit at a time. Throttled: the first append after a quiet spell
   * notifies at once; appends within NOTIFY_GAP_MS of the last NOTIFY share one more, sent when the
   * gap has passed (after their commits). So at most one NOTIFY round trip per gap, whatever the rate.
   */
  announce(): void {
    this.onWake();
    for (const subscription of this.subscriptions) subscription.wake();
    this.notifyPending = true;
    this.scheduleNotification();
  }

  private scheduleNotification(): void {
    if (this.notifyInFlight || this.notifyTimer) return;
    const wait = this.lastNotifyAt + NOTIFY_GAP_MS - performance.now();
    if (wait <= 0) {
      this.notifyInFlight = this.sendNotification();
      return;
    }
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.notifyInFlight = this.sendNotification();
    }, wait);
  }

  private async sendNotification(): Promise<void> {
    this.notifyPending = false;
    this.lastNotifyAt = performance.now();
    try {
      await this.ctx.runner.query(
        'SELECT pg_notify($1, NULL)',
        [this.channel],
        this.ctx.statement('notify'),
      );
    } catch {
      // Best effort: subscribers elsewhere still poll.
    } finally {
      this.notifyInFlight = undefined;
    }
    // Appends announced while this NOTIFY was on its way may have committed after it: one more.
    if (this.notifyPending) this.scheduleNotification();
  }

  /** At close: send the NOTIFY still owed to earlier appends now rather than after the gap. */
  private async flushNotifications(): Promise<void> {
    for (;;) {
      if (this.notifyTimer) {
        clearTimeout(this.notifyTimer);
        this.notifyTimer = undefined;
        this.notifyInFlight = this.sendNotification();
      }
      if (!this.notifyInFlight) return;
      await this.notifyInFlight;
    }
  }

  /** Keep one listener while any subscription is open; serialised so starts and stops never interleave. */
  private syncListener(): Promise<void> {
    this.listenerSync = this.listenerSync.then(async () => {
      const wanted = this.subscriptions.size > 0 && !this.closed;
      if (this.listener && (this.listenerBroken || !wanted)) {
        const listener = this.listener;
        this.listener = undefined;
        await listener.stop().catch(() => undefined);
      }
      if (wanted && !this.listener) {
        this.listenerBroken = false;
        this.listener = await this.startListener().catch(() => undefined);
      }
    });
    return this.listenerSync;
  }

  private async startListener(): Promise<{ stop(): Promise<void> }> {
    const { connection } = this.ctx;
    const wakeAll = () => {
      this.onWake();
      for (const subscription of this.subscriptions) subscription.wake();
    };
    if (connection.kind === 'pglite') {
      const unlisten = await connection.db.listen(this.channel, wakeAll);
      return { stop: unlisten };
    }
    // A dedicated client: LISTEN is per session, and a pooled query client changes session.
    const client = await connection.pool.connect();
    let failed: Error | undefined;
    const onError = (error: Error) => {
      failed = error;
      this.listenerBroken = true;
      wakeAll();
    };
    client.on('notification', wakeAll);
    client.on('error', onError);
    try {
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return {
      stop: async () => {
        client.off('notification', wakeAll);
        try {
          if (!failed) await client.query(`UNLISTEN "${this.channel}"`);
        } catch (error) {
          failed = error as Error;
        }
        client.off('error', onError);
        client.release(failed);
      },
    };
  }
}

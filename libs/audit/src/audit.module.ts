import {
  DynamicModule,
  FactoryProvider,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@arbiter/event-store';
import {
  type AppConfig,
  CLOCK,
  type Clock,
  SQL_CONNECTION,
  type SqlConnection,
} from '@arbiter/platform';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AuditLog } from './audit-log';
import { AuditError } from './errors';
import { type AuditKeySettings, loadAuditKeyring } from './keys';

/** The AuditLog of the process. */
export const AUDIT_LOG = Symbol('AUDIT_LOG');

export interface AuditModuleOptions {
  keys: Omit<AuditKeySettings, 'warn'>;
  /** AUDIT_DIGEST_INTERVAL: the periodic publisher signs at most this often, when the log grew. */
  intervalMs: number;
  /** Publish periodically in this process: the worker; the gateway with WORKERS=inline. */
  runPublisher: boolean;
  /** Where the publisher's counters go (the gateway's `/metrics` registry); none: no metrics. */
  metricsRegistry?: Registry;
}

export interface AuditModuleAsyncOptions {
  inject?: FactoryProvider['inject'];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
  useFactory: (...args: any[]) => AuditModuleOptions | Promise<AuditModuleOptions>;
}

const AUDIT_OPTIONS = Symbol('AUDIT_OPTIONS');

/** Where a development key is kept: beside the PGlite data directory (none in memory). */
function developmentKeyFile(config: AppConfig): string | undefined {
  if (config.AUDIT_DEVELOPMENT_KEY_FILE) return config.AUDIT_DEVELOPMENT_KEY_FILE;
  const dir = config.PGLITE_DATA_DIR.replace(/\/+$/, '');
  if (config.EVENT_STORE === 'memory' || dir.startsWith('memory://')) return undefined;
  return `${dir}.audit-signing-key.pem`;
}

export function auditSettingsFrom(
  config: AppConfig,
): Pick<AuditModuleOptions, 'keys' | 'intervalMs'> {
  return {
    keys: {
      signingKey: config.AUDIT_SIGNING_KEY,
      trustedKeys: config.AUDIT_TRUSTED_KEYS,
      developmentKeyFile: developmentKeyFile(config),
      production: config.NODE_ENV === 'production',
    },
    intervalMs: config.AUDIT_DIGEST_INTERVAL_MS,
  };
}

/** Publishes a digest every interval when the log grew; one publisher across processes (a lock). */
@Injectable()
class AuditPublisherLoop implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly logger = new Logger('Audit');

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: AuditModuleOptions,
    @Inject(AUDIT_LOG) private readonly log: AuditLog,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.runPublisher) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.options.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (await this.log.behind()) await this.log.publish({ noWait: true });
    } catch (error) {
      // Another process publishes: it is its turn.
      if (error instanceof AuditError && error.code === 'AUDIT_PUBLISHER_BUSY') return;
      this.log.publishFailed(error);
      this.logger.error(
        `Audit digest not published: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

function auditLogFactory(
  options: AuditModuleOptions,
  connection: SqlConnection,
  eventStore: EventStore,
  clock: Clock,
): AuditLog {
  const logger = new Logger('Audit');
  const keyring = loadAuditKeyring({ ...options.keys, warn: (m) => logger.warn(m) });
  let onPublished: ((digest: { count: number }) => void) | undefined;
  let onPublishFailed: ((error: unknown) => void) | undefined;
  if (options.metricsRegistry) {
    const registers = [options.metricsRegistry];
    const published = new Counter({
      name: 'arbiter_audit_digests_published_total',
      help: 'Audit digests this process signed.',
      registers,
    });
    const events = new Gauge({
      name: 'arbiter_audit_digest_events',
      help: 'Events covered by the newest digest this process signed.',
      registers,
    });
    const failed = new Counter({
      name: 'arbiter_audit_publish_failures_total',
      help: 'Periodic publications that failed, by reason (AUDIT_RECORD_ALTERED: the record was changed).',
      labelNames: ['reason'],
      registers,
    });
    onPublished = (digest) => {
      published.inc();
      events.set(digest.count);
    };
    onPublishFailed = (error) =>
      failed.inc({ reason: error instanceof AuditError ? error.code : 'unexpected' });
  }
  return new AuditLog({ connection, eventStore, keyring, clock, onPublished, onPublishFailed });
}

/**
 * The audit log (libs/audit/README.md): `AUDIT_LOG` for the gateway's queries and the CLI, and
 * the periodic publisher where background work runs. Needs the platform and EventStoreModule.
 */
@Module({})
export class AuditModule {
  static forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    return {
      module: AuditModule,
      global: true,
      providers: [
        { provide: AUDIT_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: AUDIT_LOG,
          inject: [AUDIT_OPTIONS, SQL_CONNECTION, EVENT_STORE, CLOCK],
          useFactory: auditLogFactory,
        },
        AuditPublisherLoop,
      ],
      exports: [AUDIT_LOG],
    };
  }
}

import { DynamicModule, FactoryProvider, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DEFAULT_POLICY, DisputePolicy } from '../domain';
import { AddEvidenceHandler } from './add-evidence/add-evidence';
import { ConfirmRefundPayoutHandler } from './confirm-refund-payout/confirm-refund-payout';
import { DisputeCommandHandler, OrderCommandHandler } from './dispute-command';
import { DisputeReader } from './dispute-reader';
import { DISPUTE_POLICY, DisputeStreams, STATE_CACHE } from './dispute-streams';
import { DEFAULT_STATE_CACHE_LIMITS, StateCache, type StateCacheLimits } from './state-cache';
import { DisputeDeadlines } from './fire-deadline/fire-deadline';
import { OpenDisputeHandler } from './open-dispute/open-dispute';
import { PersonalDataErasure } from './forget-person/forget-person';

/** The table's handlers (`DISPUTE_COMMANDS`, one per stream kind) and the commands that need more. */
const HANDLERS = [
  DisputeCommandHandler,
  OrderCommandHandler,
  OpenDisputeHandler,
  AddEvidenceHandler,
  ConfirmRefundPayoutHandler,
];

export interface DisputesModuleOptions {
  /** The policy in force (`DEFAULT_POLICY` unless configured), provided as `DISPUTE_POLICY`. */
  policy?: DisputePolicy;
  /**
   * How many folded streams (and events across them) commands and loads keep between uses
   * (`StateCache`); `DEFAULT_STATE_CACHE_LIMITS` unless given, `maxStreams: 0` for none.
   */
  stateCache?: StateCacheLimits;
}

const DISPUTES_OPTIONS = Symbol('DISPUTES_OPTIONS');

/**
 * The command side of disputes: the table commands' one handler and the explicit ones on the CommandBus, `DisputeDeadlines`
 * for the scheduler and `DisputeReader` for the views mutations return. Needs `EVENT_STORE`
 * (EventStoreModule) and the process's one `CLOCK` (PlatformModule), which dates every command,
 * in the application; a stream placed under a staging test clock is dated by the global
 * `TEST_CLOCKS` port instead (refused with TEST_CLOCKS_DISABLED where none is bound). File
 * evidence needs a global `EVIDENCE_FILES` (the app's blob store), without which only text
 * evidence is accepted. Never reads the environment.
 */
@Module({})
export class DisputesModule {
  static forRoot(options: DisputesModuleOptions = {}): DynamicModule {
    return DisputesModule.forRootAsync({ useFactory: () => options });
  }

  static forRootAsync(options: {
    imports?: DynamicModule['imports'];
    inject?: FactoryProvider['inject'];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest injects by position
    useFactory: (...args: any[]) => DisputesModuleOptions | Promise<DisputesModuleOptions>;
  }): DynamicModule {
    return {
      module: DisputesModule,
      imports: [CqrsModule.forRoot(), ...(options.imports ?? [])],
      providers: [
        { provide: DISPUTES_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: DISPUTE_POLICY,
          inject: [DISPUTES_OPTIONS],
          useFactory: (o: DisputesModuleOptions) => o.policy ?? DEFAULT_POLICY,
        },
        {
          provide: STATE_CACHE,
          inject: [DISPUTES_OPTIONS],
          useFactory: (o: DisputesModuleOptions) =>
            new StateCache(o.stateCache ?? DEFAULT_STATE_CACHE_LIMITS),
        },
        DisputeStreams,
        DisputeReader,
        DisputeDeadlines,
        PersonalDataErasure,
        ...HANDLERS,
      ],
      exports: [
        CqrsModule,
        DISPUTE_POLICY,
        DisputeStreams,
        DisputeReader,
        DisputeDeadlines,
        PersonalDataErasure,
      ],
    };
  }
}

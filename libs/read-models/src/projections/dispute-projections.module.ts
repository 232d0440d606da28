import { DynamicModule, Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { DisputePolicy } from '@arbiter/disputes/read-side';
import { ProjectionRegistry } from '../projection';
import { disputeProjections } from './dispute-projections';

const PROJECTIONS_POLICY = Symbol('PROJECTIONS_POLICY');

@Injectable()
class DisputeProjectionsRegistration implements OnModuleInit {
  constructor(
    @Inject(ProjectionRegistry) private readonly registry: ProjectionRegistry,
    @Inject(PROJECTIONS_POLICY) private readonly policy: DisputePolicy,
  ) {}

  // onModuleInit: before ReadModelsModule starts the runner on application bootstrap.
  onModuleInit(): void {
    this.registry.register(...disputeProjections(this.policy));
  }
}

/**
 * Adds the dispute views' projections to the app's `ProjectionRegistry` (ReadModelsModule must be
 * imported too). Both the gateway and the worker import it: whichever runs the runner projects them.
 */
@Module({})
export class DisputeProjectionsModule {
  /** `policy`: the deployment's dispute policy, so views fold exactly as the command side decides. */
  static forRoot(policy: DisputePolicy): DynamicModule {
    return {
      module: DisputeProjectionsModule,
      providers: [
        { provide: PROJECTIONS_POLICY, useValue: policy },
        DisputeProjectionsRegistration,
      ],
    };
  }
}

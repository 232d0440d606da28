import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { DEFAULT_POLICY } from '@arbiter/disputes';
import { ProjectionRegistry } from '../projection';
import { disputeProjections } from './dispute-projections';

@Injectable()
class DisputeProjectionsRegistration implements OnModuleInit {
  constructor(@Inject(ProjectionRegistry) private readonly registry: ProjectionRegistry) {}

  // onModuleInit: before ReadModelsModule starts the runner on application bootstrap.
  onModuleInit(): void {
    this.registry.register(...disputeProjections(DEFAULT_POLICY));
  }
}

/**
 * Adds the dispute views' projections to the app's `ProjectionRegistry` (ReadModelsModule must be
 * imported too). Both the gateway and the worker import it: whichever runs the runner projects them.
 */
@Module({ providers: [DisputeProjectionsRegistration] })
export class DisputeProjectionsModule {}

import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, PlatformModule } from '@arbiter/platform';

/** Projections, deadlines and stream forwarders without the public API, for scale-out; serves only /health. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [PlatformModule.forRoot(config)],
    };
  }
}

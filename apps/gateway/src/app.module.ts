import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, PlatformModule } from '@arbiter/platform';

/** The public edge: GraphQL over HTTP and WebSocket, health; runs the workers inline by default. */
@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(config)],
    };
  }
}

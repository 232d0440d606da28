import { DynamicModule, Module } from '@nestjs/common';
import { AdjustableClock, DisputesModule } from '@arbiter/disputes/application';
import { CLOCK, Clock } from '@arbiter/platform';
import { DisputesResolver } from './disputes.resolver';
import { DisputePartyEvidenceAccessPolicy } from './evidence-access';
import { OrdersResolver } from './orders.resolver';

/**
 * The disputes' mutations on the gateway: the command side (DisputesModule) on the process's
 * `EVENT_STORE`, dated by the platform's clock (through an AdjustableClock that end-to-end tests
 * reach with `app.get(COMMAND_CLOCK)`), under the default policy.
 */
@Module({})
export class DisputesGatewayModule {
  static forRoot(): DynamicModule {
    return {
      module: DisputesGatewayModule,
      // Global so that the evidence upload endpoint can bind DisputePartyEvidenceAccessPolicy.
      global: true,
      imports: [
        DisputesModule.forRootAsync({
          inject: [CLOCK],
          useFactory: (clock: Clock) => ({
            clock: new AdjustableClock(() => clock.now().getTime()),
          }),
        }),
      ],
      providers: [DisputesResolver, OrdersResolver, DisputePartyEvidenceAccessPolicy],
      exports: [DisputesModule, DisputePartyEvidenceAccessPolicy],
    };
  }
}

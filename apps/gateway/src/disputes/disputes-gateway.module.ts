import { DynamicModule, Module } from '@nestjs/common';
import type { DisputePolicy } from '@arbiter/disputes';
import { DisputesModule, type StateCacheLimits } from '@arbiter/disputes/application';
import { DisputesResolver } from './disputes.resolver';
import { DisputePartyEvidenceAccessPolicy } from './evidence-access';
import { OrdersResolver } from './orders.resolver';

/**
 * The disputes' mutations on the gateway: the command side (DisputesModule) on the process's
 * `EVENT_STORE`, dated by the platform's `CLOCK`, under the configured policy (`DISPUTE_POLICY`,
 * which the deadlines share).
 */
@Module({})
export class DisputesGatewayModule {
  static forRoot(policy: DisputePolicy, stateCache?: StateCacheLimits): DynamicModule {
    return {
      module: DisputesGatewayModule,
      // Global so that the evidence upload endpoint can bind DisputePartyEvidenceAccessPolicy,
      // and the deadlines fire through DisputeDeadlines under DISPUTE_POLICY.
      global: true,
      imports: [DisputesModule.forRoot({ policy, stateCache })],
      providers: [DisputesResolver, OrdersResolver, DisputePartyEvidenceAccessPolicy],
      exports: [DisputesModule, DisputePartyEvidenceAccessPolicy],
    };
  }
}

import { DECISION_STAGES, DISPUTE_STATUSES, type DisputeStatus } from '@arbiter/disputes';
import { DisputeStatus as DisputeStatusEnum } from '../disputes/dispute.enums';
import type { DisputeType } from '../disputes/dispute.type';
import { domainEnum, enumFrom } from './domain-enum';

/**
 * GraphQL enums come from the domain's lists: the `@ts-expect-error` lines are checked by
 * `npm run typecheck` and show that a value the domain adds cannot reach the schema undescribed,
 * nor a GraphQL value drift from the domain's union.
 */
describe('GraphQL enums from domain lists', () => {
  it('maps every value to itself, in the list order', () => {
    expect(enumFrom(['B', 'A'])).toEqual({ B: 'B', A: 'A' });
    expect(Object.keys(enumFrom(['B', 'A']))).toEqual(['B', 'A']);
    expect(Object.values(DisputeStatusEnum)).toEqual(DISPUTE_STATUSES);
  });

  it('needs a description for every value, and no other', () => {
    const grown = [...DECISION_STAGES, 'REVIEW'] as const;
    const described = { MEDIATION: 'First decision.', APPEAL: 'On appeal.' };
    // @ts-expect-error REVIEW, new in the list, has no description
    domainEnum(grown, 'GrownStageCheck', 'Compile-time check only.', described);
    expect(domainEnum(DECISION_STAGES, 'StageCheck', 'Check.', described)).toEqual({
      MEDIATION: 'MEDIATION',
      APPEAL: 'APPEAL',
    });
  });

  it('types GraphQL fields with the domain union itself', () => {
    const status: DisputeType['status'] = 'CLOSED';
    const domain: DisputeStatus = status;
    // @ts-expect-error a status the domain does not know
    const unknown: DisputeType['status'] = 'ON_HOLD';
    expect([domain, unknown]).toEqual(['CLOSED', 'ON_HOLD']);
  });
});

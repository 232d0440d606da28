import {
  exhaustiveList,
  isStaffRole,
  PARTY_ROLES,
  PROPOSERS,
  ROLES,
  RULING_KINDS,
  type Ruling,
  SOLUTION_KINDS,
  type Solution,
  STAFF_ROLES,
} from '../../src/domain';

/**
 * The vocabulary's lists are what the edge builds its enums from (GraphQL, token roles), so they
 * must name every member of their union: the `@ts-expect-error` lines are checked by
 * `npm run typecheck` and show that a new member fails to compile until it is listed.
 */
describe('vocabulary lists', () => {
  it('lists every solution and ruling kind once', () => {
    expect(new Set(SOLUTION_KINDS).size).toBe(SOLUTION_KINDS.length);
    expect(RULING_KINDS).toEqual([...SOLUTION_KINDS, 'SELLER_FAVOUR']);
  });

  it('refuses a list missing a member of its union, or naming something else', () => {
    // A kind added to Solution but not to SOLUTION_KINDS:
    // @ts-expect-error STORE_CREDIT is not listed
    exhaustiveList<Solution['kind'] | 'STORE_CREDIT'>()(SOLUTION_KINDS);
    // @ts-expect-error SELLER_FAVOUR is no solution
    exhaustiveList<Solution['kind']>()(RULING_KINDS);
    expect(exhaustiveList<Ruling['kind']>()(RULING_KINDS)).toBe(RULING_KINDS);
  });

  it('draws parties, staff and proposers from the one role list', () => {
    expect(ROLES).toEqual(expect.arrayContaining([...PARTY_ROLES, ...STAFF_ROLES, ...PROPOSERS]));
    expect(ROLES.filter(isStaffRole)).toEqual(['mediator', 'senior_mediator']);
  });
});

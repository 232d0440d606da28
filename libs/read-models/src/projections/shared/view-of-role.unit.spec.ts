import { projectionsReadBy } from './view-of-role';

/**
 * A mutation waits only for the projections its caller's `dispute(id)` reads: waiting for another
 * would answer late, and missing one would answer with a view older than the write.
 */
describe('the projections a role reads its dispute from', () => {
  it('are each party’s own view, the mediators’ view for staff and the timeline otherwise', () => {
    expect(projectionsReadBy('buyer')).toEqual(['buyer-view']);
    expect(projectionsReadBy('seller')).toEqual(['seller-view']);
    for (const staff of ['mediator', 'senior_mediator', 'system'] as const) {
      expect(projectionsReadBy(staff)).toEqual(['mediator-view']);
    }
    expect(projectionsReadBy('platform')).toEqual(['timeline']);
    expect(projectionsReadBy('analyst')).toEqual(['timeline']);
  });
});

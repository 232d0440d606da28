import type { Actor } from '@arbiter/disputes/read-side';
import { BUYER_VIEW } from '../buyer-view/buyer-view.projection';
import { MEDIATOR_VIEW } from '../mediator-view/mediator-view.projection';
import { SELLER_VIEW } from '../seller-view/seller-view.projection';
import { TIMELINE } from '../timeline/timeline.projection';

/**
 * Where a role's `dispute(id)` is read from: each party's own projection (its rows only), the
 * mediators' projection for staff, or the timeline's events folded for the audience (analysts and
 * the platform see every dispute, without personal free text). Keyed by every role, so a new role
 * is a type error here until it is given a source.
 */
export const VIEW_SOURCE_OF_ROLE = {
  buyer: 'buyer',
  seller: 'seller',
  mediator: 'staff',
  senior_mediator: 'staff',
  system: 'staff',
  platform: 'timeline',
  analyst: 'timeline',
} as const satisfies Record<Actor['role'], string>;

export type ViewSource = (typeof VIEW_SOURCE_OF_ROLE)[Actor['role']];

/** The projections each source reads: what a read-your-writes wait must see pass a write. */
const PROJECTIONS_OF_SOURCE: Record<ViewSource, readonly string[]> = {
  buyer: [BUYER_VIEW],
  seller: [SELLER_VIEW],
  staff: [MEDIATOR_VIEW],
  timeline: [TIMELINE],
};

/** The projections `role`'s `dispute(id)` reads. */
export const projectionsReadBy = (role: Actor['role']): readonly string[] =>
  PROJECTIONS_OF_SOURCE[VIEW_SOURCE_OF_ROLE[role]];

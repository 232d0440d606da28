import type { Projection } from '../../projection';
import { buyerDisputes } from '../../schema';
import { viewColumns } from '../shared/view-columns';
import { viewProjection } from '../shared/view-projection';

export const BUYER_VIEW = 'buyer-view';

/**
 * "My disputes" for buyers: one row per dispute with the parties' view (every event a party may
 * see — both sides' proposals, messages and evidence, decisions — never an internal note or a
 * staff id). Analysts and the platform find their disputes here too.
 */
export function buyerViewProjection(): Projection {
  return viewProjection({
    name: BUYER_VIEW,
    table: buyerDisputes,
    audience: 'party',
    columns: viewColumns,
  });
}

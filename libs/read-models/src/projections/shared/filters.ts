import { and, gte, inArray, lt, SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/** The filters every dispute list takes. Dates bound the opening instant: [openedFrom, openedTo). */
export interface DisputeListFilter {
  status?: readonly string[] | null;
  reason?: readonly string[] | null;
  openedFrom?: Date | null;
  openedTo?: Date | null;
}

export function filterConditions(
  columns: { status: PgColumn; reason: PgColumn; openedAt: PgColumn },
  filter: DisputeListFilter,
): (SQL | undefined)[] {
  return [
    filter.status?.length ? inArray(columns.status, [...filter.status]) : undefined,
    filter.reason?.length ? inArray(columns.reason, [...filter.reason]) : undefined,
    filter.openedFrom ? gte(columns.openedAt, filter.openedFrom) : undefined,
    filter.openedTo ? lt(columns.openedAt, filter.openedTo) : undefined,
  ];
}

export const allOf = (conditions: (SQL | undefined)[]): SQL | undefined =>
  and(...conditions.filter(Boolean));

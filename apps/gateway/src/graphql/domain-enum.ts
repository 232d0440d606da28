import { registerEnumType } from '@nestjs/graphql';

/**
 * GraphQL enums built from the domain's `as const` lists, so the schema cannot drift from the
 * domain: a value added there appears here, and (through `descriptions`) fails to compile until
 * it is described.
 */

/** The enum object `registerEnumType` takes: every value its own key. */
export type EnumOf<V extends string> = { readonly [K in V]: K };

/** `['A', 'B']` → `{ A: 'A', B: 'B' }`, in the list's order (the schema's value order). */
export function enumFrom<const V extends string>(list: readonly V[]): EnumOf<V> {
  // Object.fromEntries cannot type its keys; the mapping is exactly the list's, one to one.
  return Object.fromEntries(list.map((value) => [value, value])) as EnumOf<V>;
}

/** Registers `name` from a domain list; `descriptions` must name every value and nothing else. */
export function domainEnum<const V extends string>(
  list: readonly V[],
  name: string,
  description: string,
  descriptions: Readonly<Record<V, string>>,
): EnumOf<V> {
  const values = enumFrom(list);
  const valuesMap: { [K in V]?: { description: string } } = {};
  for (const value of list) valuesMap[value] = { description: descriptions[value] };
  registerEnumType(values, { name, description, valuesMap });
  return values;
}

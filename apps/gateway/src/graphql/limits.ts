import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  DocumentNode,
  FragmentDefinitionNode,
  getNamedType,
  getVariableValues,
  GraphQLError,
  GraphQLSchema,
  isLeafType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
  validate,
  visit,
} from 'graphql';
import {
  type ComplexityEstimator,
  fieldExtensionsEstimator,
  getComplexity,
} from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE } from '@arbiter/read-models';

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  /** Aliased fields per operation, `__typename` included. */
  maxAliases: number;
  /** Directives per operation. */
  maxDirectives: number;
}

/** Most tokens a GraphQL document may have; parsing stops there, before any work on it. */
export const MAX_TOKENS = 5000;

/**
 * Refuses operations nested deeper than `maxDepth`, with more than `maxAliases` aliases or
 * `maxDirectives` directives, or costlier than `maxComplexity`, before they execute. Cost: a
 * field's `complexity` extension (`@Field({ complexity })`) if it has one; else 0 for a scalar or
 * enum, 1 for an object plus what is selected in it, and for a field paged by `first` what is
 * selected in it times the page size (`first`, else its default). Introspection (`__schema`, `__type`) is not counted;
 * production switches it off.
 */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          if (!operation) return; // graphql-js reports the missing operation itself
          checkQueryLimits(limits, schema, document, operation, request.variables);
        },
      };
    },
  };
}

/**
 * Throws QUERY_TOO_DEEP or QUERY_TOO_COMPLEX; shared by HTTP (the plugin) and WebSocket. The
 * document is first measured in one pass, linear in its size (each fragment once): its depth and
 * how many fields it expands to. A document whose fragments fan out (`...F1 ...F1` at every level)
 * is refused there, before anything walks its expansion; only then is the cost estimated.
 */
export function checkQueryLimits(
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): void {
  const { depth, fields } = measure(operation.selectionSet, fragmentsOf(document));
  if (depth > limits.maxDepth) {
    throw new GraphQLError(`Query depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
      extensions: { code: 'QUERY_TOO_DEEP', http: { status: 400 } },
    });
  }
  // Before anything walks the fragments' expansion: every expanded field counts at least 1 here.
  if (fields > limits.maxComplexity) throw tooComplex(fields, limits.maxComplexity);
  checkAliasesAndDirectives(limits, schema, document);
  let complexity: number;
  try {
    complexity = complexityOf(schema, document, operation, variables);
  } catch {
    // The estimator gave up on the document: it is refused, never answered with a 500.
    throw tooComplex(Number.POSITIVE_INFINITY, limits.maxComplexity);
  }
  if (complexity > limits.maxComplexity) throw tooComplex(complexity, limits.maxComplexity);
}

function tooComplex(complexity: number, limit: number): GraphQLError {
  const amount = Number.isFinite(complexity) ? String(complexity) : 'beyond counting';
  return new GraphQLError(`Query complexity ${amount} exceeds the limit of ${limit}`, {
    extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
  });
}

function complexityOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): number {
  const introspectionOnly = operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'),
  );
  if (introspectionOnly) return 0;
  // Variables that do not fit their types cannot be costed; execution refuses the operation with
  // BAD_USER_INPUT naming the variable, which is the answer the client needs.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return 0;
  return getComplexity({
    schema,
    query: document,
    operationName: operation.name?.value,
    variables: variables ?? {},
    estimators: [fieldExtensionsEstimator(), pagedCost],
  });
}

/**
 * Scalars cost nothing (they come with their object's row); an object costs 1 plus its selection;
 * a field paged by `first` costs its selection once per item it may return (a page of 1,000 feed
 * events is 1,000).
 */
const pagedCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (isLeafType(getNamedType(field.type))) return 0;
  const first = field.args.find((argument) => argument.name === 'first');
  if (!first) return 1 + childComplexity;
  const asked = args.first;
  const size =
    typeof asked === 'number'
      ? asked
      : typeof first.defaultValue === 'number'
        ? first.defaultValue
        : DEFAULT_PAGE_SIZE;
  return Math.max(1, size * childComplexity);
};

/**
 * The `complexity` of a paged field: what is selected in it times its page size, the page size
 * capped at the field's own maximum so that an oversized `first` is answered by the field's
 * validation (BAD_USER_INPUT naming `first`) rather than as a costly query.
 */
export function pagedComplexity(page: { max: number; default: number }) {
  return ({
    args,
    childComplexity,
  }: {
    args: Record<string, unknown>;
    childComplexity: number;
  }) => {
    // `last` asks for as many items as `first` does, reading backward.
    const size = args.first ?? args.last;
    const asked = typeof size === 'number' ? size : page.default;
    return Math.max(1, Math.min(page.max, Math.max(asked, 1)) * childComplexity);
  };
}

/**
 * Alias and directive floods, counted by GraphQL Armor's rules (each fragment counted once, so
 * linear in the document). They run on their own here, after the standard validation, so that
 * both transports answer QUERY_TOO_COMPLEX.
 */
function checkAliasesAndDirectives(
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
): void {
  const refusals: GraphQLError[] = [];
  const onReject = [(_context: unknown, error: GraphQLError) => void refusals.push(error)];
  // `__typename` counts too (GraphQL Armor exempts it by default): 1,600 aliases of it are still
  // 1,600 fields to write.
  const options = { onReject, propagateOnRejection: false, exposeLimits: true, allowList: [] };
  validate(schema, document, [
    maxAliasesRule({ ...options, n: limits.maxAliases }),
    maxDirectivesRule({ ...options, n: limits.maxDirectives }),
  ]);
  if (refusals.length === 0) return;
  throw new GraphQLError(refusals[0].message.replace(/^Syntax Error: /, ''), {
    extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
  });
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  return fragments;
}

interface Measure {
  /** Nesting of fields (introspection fields not counted). */
  depth: number;
  /** Fields the selection expands to, fragments spread out; capped, so it stays a finite number. */
  fields: number;
}

const FIELDS_CAP = 1e12;

/**
 * Depth and expanded field count of a selection, each fragment measured once (memoised), so the
 * walk is linear in the document however its fragments fan out. Cycles (refused by validation
 * anyway) count as nothing.
 */
function measure(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): Measure {
  const memo = new Map<string, Measure>();
  const visiting = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): Measure => {
    if (!set) return { depth: 0, fields: 0 };
    let depth = 0;
    let fields = 0;
    for (const selection of set.selections) {
      let inner: Measure;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const child = walk(selection.selectionSet);
        inner = { depth: 1 + child.depth, fields: 1 + child.fields };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        let known = memo.get(name);
        if (!known) {
          visiting.add(name);
          known = walk(fragment.selectionSet);
          visiting.delete(name);
          memo.set(name, known);
        }
        inner = known;
      }
      depth = Math.max(depth, inner.depth);
      fields = Math.min(FIELDS_CAP, fields + inner.fields);
    }
    return { depth, fields };
  };
  return walk(selectionSet);
}

/** NUL, and UTF-16 surrogates that are not part of a pair: text no database stores as given. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuses input that could only fail further in (BAD_USER_INPUT naming where): a NUL or a lone
 * surrogate in any string of the document or its variables. PostgreSQL refuses both in text and
 * JSON, which would otherwise surface as INTERNAL_SERVER_ERROR from deep inside a query.
 */
export function checkInputText(
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
): void {
  let found: string | undefined;
  visit(document, {
    StringValue(node) {
      if (found === undefined && UNSTORABLE.test(node.value)) found = 'a string in the query';
    },
  });
  found ??= unstorableIn(variables, 'variables');
  if (found !== undefined) {
    throw new GraphQLError(
      `Text may not contain NUL characters or unpaired UTF-16 surrogates (${found})`,
      { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
    );
  }
}

function unstorableIn(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path : undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = unstorableIn(value[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return `${path} (a key)`;
      const found = unstorableIn(inner, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * HTTP's own rules, before execution: a subscription is served over graphql-ws only (over HTTP it
 * has no stream to answer on), so it is SUBSCRIPTION_OVER_HTTP, not an internal error; and text
 * a database cannot store is refused (`checkInputText`).
 */
export function httpOperationRulesPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError(
              'Subscriptions are served over WebSocket (graphql-ws, the graphql-transport-ws protocol) at this same path',
              { extensions: { code: 'SUBSCRIPTION_OVER_HTTP', http: { status: 400 } } },
            );
          }
          checkInputText(document, request.variables);
        },
      };
    },
  };
}

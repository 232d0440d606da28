import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * `JSON`: any JSON value, sent as itself (an object stays an object, not a string). For payloads
 * whose shape is versioned elsewhere (an event's `data`, described by its type and schemaVersion).
 * Written here rather than taken from a package: the whole scalar is these few lines.
 */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description:
    'Any JSON value (object, array, string, number, boolean or null), sent as itself rather than as a string.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => literal(ast, variables ?? undefined),
});

function literal(ast: ValueNode, variables: Record<string, unknown> | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((value) => literal(value, variables));
    case Kind.OBJECT:
      return Object.fromEntries(
        ast.fields.map((field) => [field.name.value, literal(field.value, variables)]),
      );
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new GraphQLError(`JSON cannot represent ${ast.kind}`, {
        nodes: ast,
        extensions: { code: 'BAD_USER_INPUT' },
      });
  }
}

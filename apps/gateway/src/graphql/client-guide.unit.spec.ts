import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, DocumentNode, Kind, parse, validate } from 'graphql';

const ROOT = join(__dirname, '../../../..');

/** Each operation of each ```graphql block of a guide, as a document of its own. */
function operationsIn(markdown: string): { source: string; document: DocumentNode }[] {
  return [...markdown.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap(([, block]) =>
    parse(block).definitions.map((definition) => ({
      source: block.slice(definition.loc?.start, definition.loc?.end),
      document: { kind: Kind.DOCUMENT, definitions: [definition] } as DocumentNode,
    })),
  );
}

describe('the client guide (docs/clients.md)', () => {
  it('shows only operations that are valid against the committed schema', () => {
    const schema = buildSchema(readFileSync(join(ROOT, 'apps/gateway/schema.gql'), 'utf8'));
    const operations = operationsIn(readFileSync(join(ROOT, 'docs/clients.md'), 'utf8'));
    expect(operations.length).toBeGreaterThan(30);
    const invalid = operations.flatMap(({ source, document }) =>
      validate(schema, document).map((error) => `${error.message} in: ${source.slice(0, 80)}`),
    );
    expect(invalid).toEqual([]);
  });

  it('finds an invalid operation (so the check above can fail)', () => {
    const schema = buildSchema('type Query { me: String }');
    const [operation] = operationsIn('```graphql\n{ you }\n```');
    expect(validate(schema, operation.document)).toHaveLength(1);
  });
});

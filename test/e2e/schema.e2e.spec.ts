import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  isIntrospectionType,
  isObjectType,
  isInputObjectType,
  isEnumType,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { RunningGateway, startGateway } from './support/gateway';

const SCHEMA_FILE = join(__dirname, '../../apps/gateway/schema.gql');

describe('the GraphQL schema', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway?.close());

  it('matches the committed apps/gateway/schema.gql', () => {
    const built = printSchema(
      lexicographicSortSchema(gateway.app.get(GraphQLSchemaHost).schema),
    ).trim();
    const committed = readFileSync(SCHEMA_FILE, 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('# '))
      .join('\n')
      .trim();
    if (built !== committed) {
      throw new Error(
        'apps/gateway/schema.gql is out of date: run `npm run schema` and commit the file',
      );
    }
  });

  it('describes every type, field, argument and enum value', () => {
    const schema = gateway.app.get(GraphQLSchemaHost).schema;
    const roots = new Set([
      schema.getQueryType(),
      schema.getMutationType(),
      schema.getSubscriptionType(),
    ]);
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        type.name.startsWith('__') ||
        isIntrospectionType(type) ||
        ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)
      )
        continue;
      if (!roots.has(type as never) && !type.description) missing.push(type.name);
      if (isObjectType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) missing.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if (isEnumType(type)) {
        for (const value of type.getValues())
          if (!value.description) missing.push(`${type.name}.${value.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

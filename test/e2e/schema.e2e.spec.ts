import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import {
  getNamedType,
  type GraphQLSchema,
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

  it('types every instant DateTime, in answers and in arguments and inputs', () => {
    const named = /(At|Deadline|Time|Date|From|To)$/;
    const stringly = stringFields(gateway.app.get(GraphQLSchemaHost).schema).filter(
      ({ leaf, description }) =>
        named.test(leaf) || (/ISO.?8601/i.test(description) && !/duration/i.test(description)),
    );
    expect(stringly.map(({ name }) => name)).toEqual([]);
  });

  it('leaves String only to free text, ids of other systems and open lists (enums for closed ones)', () => {
    const strings = stringFields(gateway.app.get(GraphQLSchemaHost).schema)
      .map(({ name }) => name)
      .filter((name) => !OPEN_STRINGS.has(name))
      // TimelineEntry's wording fields are reworked with the timeline's reader-relative text.
      .filter((name) => !name.startsWith('TimelineEntry.'));
    // A new String field fails here until it is either an enum or listed as open below.
    expect(strings).toEqual([]);
  });
});

/**
 * The String fields and arguments that are not closed lists: people's text, references from
 * carriers and payment systems, cursors, idempotency keys, JSON text, open standards (currency
 * and country codes, media types) and CountByKey.key, which carries one of three enums by list.
 */
const OPEN_STRINGS = new Set([
  ...['AddEvidenceInput.description', 'AddEvidenceInput.fileId', 'AddEvidenceInput.text'],
  ...['AddInternalNoteInput.note', 'Appeal.newInformation', 'AppealDecisionInput.newInformation'],
  ...['AuditEvent.data', 'AuditEvent.hash', 'CancelDisputeInput.comment'],
  ...['ConfirmRefundPayoutInput.payoutReference', 'CountByKey.key', 'DecideInput.rationale'],
  ...['Decision.rationale', 'Dispute.description', 'DisputeAudit.state'],
  ...['DisputeReturnConditionInput.statement', 'Evidence.description', 'Evidence.text'],
  ...['EvidenceRequest.prompt', 'InternalNote.authorId', 'InternalNote.note'],
  ...['MarkRefundSentInput.reference', 'Message.authorId', 'Message.body'],
  ...['Money.currency', 'MoneyInput.currency', 'OpenDisputeInput.description'],
  ...['OrderItemInput.sku', 'OrderItemInput.title', 'PostMessageInput.body'],
  ...['ReplacementInfo.carrier', 'ReplacementInfo.problemReported'],
  ...['ReplacementInfo.trackingNumber', 'ReportReplacementProblemInput.statement'],
  ...['RequestEvidenceInput.prompt', 'RespondToDisputeInput.comment'],
  ...['ReturnAddress.country', 'ReturnAddress.lines', 'ReturnAddress.name'],
  ...['ReturnAddress.postalCode', 'ReturnAddressInput.country', 'ReturnAddressInput.lines'],
  ...['ReturnAddressInput.name', 'ReturnAddressInput.postalCode', 'ReturnInfo.carrier'],
  ...['ReturnInfo.conditionDisputed', 'ReturnInfo.trackingNumber', 'ShipOrderInput.carrier'],
  ...['ShipOrderInput.trackingNumber', 'ShipReplacementInput.carrier'],
  ...['ShipReplacementInput.trackingNumber', 'ShipReturnInput.carrier'],
  ...['ShipReturnInput.trackingNumber', 'StoredFile.mediaType', 'StoredFile.sha256'],
  // An ISO-8601 duration (not an instant), and names integrators give their test clocks.
  ...['AdvanceTestClockInput.by', 'CreateTestClockInput.name', 'TestClock.name'],
  // A signed link to open an evidence file.
  ...['StoredFile.url'],
  // The reference of an erasure request (a ticket id of the platform's own system).
  ...['Mutation.forgetPerson(reason)'],
  // Audit digests: hex hashes, base64url signatures, 64-bit log positions and revisions as
  // decimal text (exactly as hashed; GraphQL's Int has 32 bits), the stored event type as it is
  // (a tampered one included), and sentences on what a check rests on.
  ...['AuditDigest.position', 'AuditDigest.root', 'AuditDigest.signature'],
  ...['AuditDigestInput.position', 'AuditDigestInput.root', 'AuditDigestInput.signature'],
  ...['AuditDigestVerification.notes', 'AuditEpochLink.position', 'AuditEpochLink.root'],
  ...['AuditEpochLinkInput.position', 'AuditEpochLinkInput.root', 'AuditFinding.afterPosition'],
  ...['AuditFinding.fromPosition', 'AuditFinding.missingPositions', 'AuditFinding.position'],
  ...['AuditFinding.revision', 'AuditFinding.toPosition', 'AuditInclusionProof.auditPath'],
  ...['AuditInclusionProof.leafHash', 'AuditLeafRecord.dataHash', 'AuditLeafRecord.metadataHash'],
  ...['AuditLeafRecord.position', 'AuditLeafRecord.revision', 'AuditLeafRecord.type'],
]);

interface StringField {
  /** `Type.field` or `Type.field(argument)`. */
  name: string;
  /** The field's or argument's own name. */
  leaf: string;
  description: string;
}

/** Every field, input field and argument typed String (lists and non-null included). */
function stringFields(schema: GraphQLSchema): StringField[] {
  const found: StringField[] = [];
  const isString = (type: Parameters<typeof getNamedType>[0]) =>
    getNamedType(type)?.name === 'String';
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || !(isObjectType(type) || isInputObjectType(type))) continue;
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      if (
        isString(field.type) &&
        !/(^|\.)(idempotencyKey|cursor|startCursor|endCursor)$/.test(name)
      )
        found.push({ name, leaf: field.name, description: field.description ?? '' });
      for (const arg of 'args' in field ? field.args : [])
        if (isString(arg.type) && !['after', 'before'].includes(arg.name))
          found.push({
            name: `${name}(${arg.name})`,
            leaf: arg.name,
            description: arg.description ?? '',
          });
    }
  }
  return found;
}

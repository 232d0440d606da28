import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type {
  AuditDigest,
  AuditFinding,
  AuditVerification,
  InclusionProof,
  LeafPart,
  LeafRecord,
} from '@arbiter/audit';

export const AuditFindingKind = {
  CHANGED: 'CHANGED',
  REMOVED: 'REMOVED',
  INSERTED: 'INSERTED',
  REORDERED: 'REORDERED',
  TRUNCATED: 'TRUNCATED',
  CHAIN_BROKEN: 'CHAIN_BROKEN',
} as const;
export type AuditFindingKind = (typeof AuditFindingKind)[keyof typeof AuditFindingKind];

registerEnumType(AuditFindingKind, {
  name: 'AuditFindingKind',
  description: 'What a check against a signed digest found wrong with the log.',
  valuesMap: {
    CHANGED: { description: 'A signed event’s content changed (`parts` says what).' },
    REMOVED: { description: 'A signed event is gone from the middle of the log.' },
    INSERTED: { description: 'An event the digest did not sign sits among the ones it did.' },
    REORDERED: { description: 'A signed event moved to another position.' },
    TRUNCATED: { description: 'The log ends earlier than the digest: its last events are gone.' },
    CHAIN_BROKEN: {
      description:
        'The leaf record was altered too: only the stream’s hash chain says where it breaks.',
    },
  },
});

export const AuditEventPart = {
  DATA: 'DATA',
  METADATA: 'METADATA',
  TYPE: 'TYPE',
  RECORDED_AT: 'RECORDED_AT',
  STREAM_ID: 'STREAM_ID',
  REVISION: 'REVISION',
} as const;
export type AuditEventPart = (typeof AuditEventPart)[keyof typeof AuditEventPart];

registerEnumType(AuditEventPart, {
  name: 'AuditEventPart',
  description: 'A part of a stored event a digest vouches for.',
  valuesMap: {
    DATA: { description: 'The event’s data.' },
    METADATA: { description: 'Its metadata (actor, correlation, hash chain…).' },
    TYPE: { description: 'Its type.' },
    RECORDED_AT: { description: 'When the store recorded it.' },
    STREAM_ID: { description: 'The stream it belongs to.' },
    REVISION: { description: 'Its revision in the stream.' },
  },
});

const PART: Record<LeafPart, AuditEventPart> = {
  data: 'DATA',
  metadata: 'METADATA',
  type: 'TYPE',
  recordedAt: 'RECORDED_AT',
  streamId: 'STREAM_ID',
  revision: 'REVISION',
};

@ObjectType('AuditEpochLink', {
  description: 'The closing digest of the epoch before, as the first digest of an epoch names it.',
})
export class AuditEpochLinkType {
  @Field(() => Int, { description: 'The earlier epoch.' })
  epoch!: number;

  @Field({ description: 'Its last global position (a 64-bit integer as decimal text).' })
  position!: string;

  @Field(() => Int, { description: 'Events it covered.' })
  count!: number;

  @Field({ description: 'Its Merkle root (hex).' })
  root!: string;
}

@ObjectType('AuditDigest', {
  description:
    'A signed statement of the whole event log: its first `count` events hash to `root` (RFC 6962 Merkle tree). Keep it outside Arbiter; give it back to `disputeAuditVerify` or `npm run audit -- verify` later.',
})
export class AuditDigestType {
  @Field(() => Int, { description: 'Format version.' })
  version!: number;

  @Field(() => Int, { description: 'Rewrites of stored events start a new epoch.' })
  epoch!: number;

  @Field({
    description: 'Last global position covered (a 64-bit integer as decimal text; -1: none).',
  })
  position!: string;

  @Field(() => Int, { description: 'Events covered.' })
  count!: number;

  @Field({ description: 'Merkle root of the covered events’ leaves (hex).' })
  root!: string;

  @Field(() => Date, { description: 'When it was signed.' })
  createdAt!: Date;

  @Field(() => ID, {
    description:
      'RFC 7638 thumbprint of the signing key (see /.well-known/arbiter-audit-keys.json).',
  })
  keyId!: string;

  @Field(() => AuditEpochLinkType, {
    nullable: true,
    description: 'On the first digest of an epoch after a rewrite: the closing digest before it.',
  })
  previousEpoch!: AuditEpochLinkType | null;

  @Field({
    description: 'Ed25519 signature (base64url) over the canonical JSON of the other fields.',
  })
  signature!: string;
}

@InputType('AuditEpochLinkInput', { description: 'An `AuditEpochLink` as it was received.' })
export class AuditEpochLinkInput {
  @Field(() => Int, { description: 'As received.' })
  epoch!: number;

  @Field({ description: 'As received.' })
  position!: string;

  @Field(() => Int, { description: 'As received.' })
  count!: number;

  @Field({ description: 'As received.' })
  root!: string;
}

@InputType('AuditDigestInput', { description: 'An `AuditDigest` exactly as it was received.' })
export class AuditDigestInput {
  @Field(() => Int, { description: 'As received.' })
  version!: number;

  @Field(() => Int, { description: 'As received.' })
  epoch!: number;

  @Field({ description: 'As received.' })
  position!: string;

  @Field(() => Int, { description: 'As received.' })
  count!: number;

  @Field({ description: 'As received.' })
  root!: string;

  @Field(() => Date, { description: 'As received.' })
  createdAt!: Date;

  @Field(() => ID, { description: 'As received.' })
  keyId!: string;

  @Field(() => AuditEpochLinkInput, { nullable: true, description: 'As received, when present.' })
  previousEpoch?: AuditEpochLinkInput | null;

  @Field({ description: 'As received.' })
  signature!: string;
}

@ObjectType('AuditLeafRecord', {
  description:
    'What one leaf says of one stored event; the leaf hash is SHA-256(0x00 || canonical JSON of these fields), see libs/audit/README.md.',
})
export class AuditLeafRecordType {
  @Field({ description: 'Global position (decimal text).' })
  position!: string;

  @Field(() => ID, { description: 'The stream.' })
  streamId!: string;

  @Field({ description: 'Revision in the stream (decimal text, as hashed).' })
  revision!: string;

  @Field(() => ID, { description: 'The event id.' })
  eventId!: string;

  @Field({ description: 'The event type as stored.' })
  type!: string;

  @Field(() => Date, {
    description: 'When the store recorded it (hashed as ISO-8601 with milliseconds).',
  })
  recordedAt!: Date;

  @Field({ description: 'SHA-256 (hex) of the canonical JSON of the stored data.' })
  dataHash!: string;

  @Field({ description: 'SHA-256 (hex) of the canonical JSON of the stored metadata.' })
  metadataHash!: string;
}

@ObjectType('AuditInclusionProof', {
  description:
    'Proof that one event is in the tree the digest’s root stands for (RFC 6962 audit path): check it with any RFC 6962 verifier.',
})
export class AuditInclusionProofType {
  @Field(() => Int, { description: 'The leaf’s index in the tree (0-based).' })
  leafIndex!: number;

  @Field({ description: 'The leaf hash (hex).' })
  leafHash!: string;

  @Field(() => AuditLeafRecordType, { description: 'The record the leaf hashes.' })
  record!: AuditLeafRecordType;

  @Field(() => [String], { description: 'Sibling hashes (hex), from the leaf up.' })
  auditPath!: string[];
}

@ObjectType('AuditFinding', {
  description: 'One thing found wrong, named from the signed leaf record.',
})
export class AuditFindingType {
  @Field(() => AuditFindingKind, { description: 'What kind of change.' })
  kind!: AuditFindingKind;

  @Field(() => String, {
    nullable: true,
    description: 'The event’s signed position (decimal text).',
  })
  position!: string | null;

  @Field(() => ID, { nullable: true, description: 'The stream.' })
  streamId!: string | null;

  @Field(() => String, { nullable: true, description: 'Revision in the stream (decimal text).' })
  revision!: string | null;

  @Field(() => ID, { nullable: true, description: 'The event.' })
  eventId!: string | null;

  @Field(() => [AuditEventPart], { description: 'CHANGED: which parts differ.' })
  parts!: AuditEventPart[];

  @Field(() => String, { nullable: true, description: 'REORDERED: the signed position.' })
  fromPosition!: string | null;

  @Field(() => String, { nullable: true, description: 'REORDERED: where the event is now.' })
  toPosition!: string | null;

  @Field(() => String, { nullable: true, description: 'TRUNCATED: the log now ends here.' })
  afterPosition!: string | null;

  @Field(() => [String], { description: 'TRUNCATED: the signed positions now missing.' })
  missingPositions!: string[];
}

@ObjectType('AuditDigestVerification', {
  description: 'A signed digest checked against the log as it is now.',
})
export class AuditDigestVerificationType {
  @Field({ description: 'True when nothing the digest covers (of this dispute) changed.' })
  intact!: boolean;

  @Field(() => Int, { description: 'Events read from the log up to the digest’s position.' })
  checkedEvents!: number;

  @Field({ description: 'The leaf record no longer matches the signed root (it was altered too).' })
  recordAltered!: boolean;

  @Field(() => [AuditFindingType], { description: 'What changed, touching this dispute.' })
  findings!: AuditFindingType[];

  @Field(() => [AuditInclusionProofType], {
    description: 'One per event of this dispute, against the digest’s root.',
  })
  proofs!: AuditInclusionProofType[];

  @Field(() => [String], { description: 'What the answer rests on, in sentences.' })
  notes!: string[];
}

export function toDigestType(digest: AuditDigest): AuditDigestType {
  return {
    ...digest,
    createdAt: new Date(digest.createdAt),
    previousEpoch: digest.previousEpoch ?? null,
  };
}

/** The input back to the digest as signed: the instant in the same ISO form it was signed in. */
export function fromDigestInput(input: AuditDigestInput): Record<string, unknown> {
  const { previousEpoch, createdAt, ...rest } = input;
  return {
    ...rest,
    createdAt: createdAt instanceof Date ? createdAt.toISOString() : createdAt,
    ...(previousEpoch ? { previousEpoch: { ...previousEpoch } } : {}),
  };
}

const toRecord = (record: LeafRecord): AuditLeafRecordType => ({
  ...record,
  recordedAt: new Date(record.recordedAt),
});

function toFinding(finding: AuditFinding): AuditFindingType {
  const base: AuditFindingType = {
    kind: 'CHANGED',
    position: null,
    streamId: null,
    revision: null,
    eventId: null,
    parts: [],
    fromPosition: null,
    toPosition: null,
    afterPosition: null,
    missingPositions: [],
  };
  switch (finding.kind) {
    case 'changed':
      return { ...base, ...pick(finding), parts: finding.parts.map((part) => PART[part]) };
    case 'removed':
      return { ...base, kind: 'REMOVED', ...pick(finding) };
    case 'inserted':
      return { ...base, kind: 'INSERTED', ...pick(finding) };
    case 'reordered':
      return {
        ...base,
        kind: 'REORDERED',
        position: finding.fromPosition,
        streamId: finding.streamId,
        revision: finding.revision,
        eventId: finding.eventId,
        fromPosition: finding.fromPosition,
        toPosition: finding.toPosition,
      };
    case 'truncated':
      return {
        ...base,
        kind: 'TRUNCATED',
        afterPosition: finding.afterPosition,
        missingPositions: finding.events.map((event) => event.position),
      };
    case 'chainBroken':
      return {
        ...base,
        kind: 'CHAIN_BROKEN',
        streamId: finding.streamId,
        revision: finding.revision,
      };
  }
}

const pick = (f: { position: string; streamId: string; revision: string; eventId: string }) => ({
  position: f.position,
  streamId: f.streamId,
  revision: f.revision,
  eventId: f.eventId,
});

export function toVerificationType(result: AuditVerification): AuditDigestVerificationType {
  return {
    intact: result.intact,
    checkedEvents: result.checkedEvents,
    recordAltered: result.recordAltered,
    findings: result.findings.map(toFinding),
    proofs: result.proofs.map((proof: InclusionProof) => ({
      ...proof,
      record: toRecord(proof.record),
    })),
    notes: result.notes,
  };
}

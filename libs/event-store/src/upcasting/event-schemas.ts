import type { RecordedEvent } from '../port';

/**
 * Upcasting: reading an event stored under an older shape of its type as the shape the code now
 * writes. Events are never rewritten in place (the audit hash chain covers the stored bytes); every
 * read turns version n's data into version n + 1's, step by step, until the current version.
 */

/** Version n's data to version n + 1's. Pure: the same stored event always reads the same. */
export type Upcaster = (data: unknown) => unknown;

/** One event type: the version the code writes and, keyed by n, the step from n to n + 1. */
export interface EventSchema {
  readonly version: number;
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
}

/** Event type → its schema; types missing from every table are read as stored. */
export type EventSchemaTable = Readonly<Record<string, EventSchema>>;

/** The version of an event stored without one: versions began at 1. */
export const FIRST_SCHEMA_VERSION = 1;

/**
 * A stored event whose version is newer than this code knows (written by a newer release) or is no
 * version at all: refused, never read with an older reading of its fields.
 */
export class EventSchemaVersionUnknownError extends Error {
  readonly code = 'EVENT_SCHEMA_VERSION_UNKNOWN';
  constructor(
    readonly eventId: string,
    readonly eventType: string,
    readonly storedVersion: unknown,
    readonly knownVersion: number,
  ) {
    super(
      `Event ${eventId} (${eventType}) is stored with schema version ${String(storedVersion)}; ` +
        `this code reads versions up to ${knownVersion}`,
    );
    this.name = 'EventSchemaVersionUnknownError';
  }
}

/** The registry every read path consults, keyed by (event type, schema version). */
export class EventSchemas {
  private readonly schemas = new Map<string, EventSchema>();

  /**
   * Checked once, at start-up: a type in two tables, a version below 1, or a version without the
   * steps from every older one would otherwise surface only when an old event is read.
   */
  constructor(tables: readonly EventSchemaTable[]) {
    for (const table of tables) {
      for (const [type, schema] of Object.entries(table)) {
        if (this.schemas.has(type)) throw new Error(`Event type ${type} has two schemas`);
        if (!Number.isInteger(schema.version) || schema.version < FIRST_SCHEMA_VERSION)
          throw new Error(`Event type ${type}: schema version ${schema.version} is not 1 or more`);
        for (let version = FIRST_SCHEMA_VERSION; version < schema.version; version++) {
          if (typeof schema.upcasters?.[version] !== 'function')
            throw new Error(`Event type ${type}: no upcaster from version ${version}`);
        }
        this.schemas.set(type, schema);
      }
    }
  }

  /** The version the code writes for `type`; undefined for a type no table covers. */
  currentVersion(type: string): number | undefined {
    return this.schemas.get(type)?.version;
  }

  /**
   * The event in its type's current shape. Already current (or of an unknown type): the same
   * object. Upcast: new data, `metadata.schemaVersion` the current version and
   * `metadata.storedSchemaVersion` the version it was stored with.
   */
  upcast<E extends RecordedEvent>(event: E): E {
    const schema = this.schemas.get(event.type);
    if (!schema) return event;
    const { schemaVersion } = event.metadata;
    const stored = schemaVersion === undefined ? FIRST_SCHEMA_VERSION : schemaVersion;
    if (stored === schema.version) return event;
    if (
      typeof stored !== 'number' ||
      !Number.isInteger(stored) ||
      stored < FIRST_SCHEMA_VERSION ||
      stored > schema.version
    )
      throw new EventSchemaVersionUnknownError(event.id, event.type, stored, schema.version);
    let data = event.data;
    for (let version = stored; version < schema.version; version++) {
      data = (schema.upcasters as Record<number, Upcaster>)[version](data);
    }
    return {
      ...event,
      data,
      metadata: { ...event.metadata, schemaVersion: schema.version, storedSchemaVersion: stored },
    };
  }
}

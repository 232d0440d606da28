import type { RecordedEvent } from '../port';
import { EventSchemas, EventSchemaVersionUnknownError } from './event-schemas';

const recorded = (
  type: string,
  data: unknown,
  metadata: RecordedEvent['metadata'] = {},
): RecordedEvent => ({
  streamId: 's-1',
  revision: 0n,
  position: 1n,
  id: 'e-1',
  type,
  data,
  metadata,
  recordedAt: new Date(0),
});

// Renamed (v1 → v2), then given a unit (v2 → v3).
const schemas = new EventSchemas([
  {
    Measured: {
      version: 3,
      upcasters: {
        1: (data) => ({ value: (data as { amount: number }).amount }),
        2: (data) => ({ ...(data as object), unit: 'cm' }),
      },
    },
  },
  { Noted: { version: 1 } },
]);

describe('EventSchemas: (event type, schema version) → the current shape', () => {
  it('chains the steps from the stored version to the current one; metadata says both', () => {
    const event = recorded('Measured', { amount: 4 }, { schemaVersion: 1, hash: 'h' });
    expect(schemas.upcast(event)).toEqual({
      ...event,
      data: { value: 4, unit: 'cm' },
      metadata: { schemaVersion: 3, storedSchemaVersion: 1, hash: 'h' },
    });
    const v2 = recorded('Measured', { value: 5 }, { schemaVersion: 2 });
    expect(schemas.upcast(v2).data).toEqual({ value: 5, unit: 'cm' });
    expect(event.data).toEqual({ amount: 4 });
  });

  it('an event stored without a version is version 1', () => {
    expect(schemas.upcast(recorded('Measured', { amount: 4 })).data).toEqual({
      value: 4,
      unit: 'cm',
    });
  });

  it('a current event, and one of a type no table covers, are handed back as they are', () => {
    const current = recorded('Measured', { value: 1, unit: 'mm' }, { schemaVersion: 3 });
    expect(schemas.upcast(current)).toBe(current);
    const noted = recorded('Noted', {});
    expect(schemas.upcast(noted)).toBe(noted);
    const foreign = recorded('Elsewhere', { any: 1 }, { schemaVersion: 9 });
    expect(schemas.upcast(foreign)).toBe(foreign);
    expect(schemas.currentVersion('Measured')).toBe(3);
    expect(schemas.currentVersion('Elsewhere')).toBeUndefined();
  });

  it.each([4, 0, 1.5, '2', null])(
    'refuses a stored version it cannot read (%p) with a stable code',
    (version) => {
      const event = recorded('Measured', {}, { schemaVersion: version as number });
      expect(() => schemas.upcast(event)).toThrow(EventSchemaVersionUnknownError);
      try {
        schemas.upcast(event);
      } catch (error) {
        expect(error).toMatchObject({
          code: 'EVENT_SCHEMA_VERSION_UNKNOWN',
          eventId: 'e-1',
          eventType: 'Measured',
          storedVersion: version,
          knownVersion: 3,
        });
      }
    },
  );

  it('refuses at construction a missing step, a version below 1 and a type listed twice', () => {
    expect(() => new EventSchemas([{ A: { version: 2 } }])).toThrow(
      'Event type A: no upcaster from version 1',
    );
    expect(() => new EventSchemas([{ A: { version: 3, upcasters: { 1: (d) => d } } }])).toThrow(
      'no upcaster from version 2',
    );
    expect(() => new EventSchemas([{ A: { version: 0 } }])).toThrow('is not 1 or more');
    expect(() => new EventSchemas([{ A: { version: 1 } }, { A: { version: 1 } }])).toThrow(
      'Event type A has two schemas',
    );
  });
});

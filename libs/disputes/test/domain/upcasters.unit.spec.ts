import {
  DISPUTE_EVENT_SCHEMA_VERSIONS,
  DISPUTE_EVENT_SCHEMAS,
  DISPUTE_EVENT_TYPES,
  DISPUTE_EVENT_UPCASTERS,
  ORDER_EVENT_SCHEMA_VERSION,
  ORDER_EVENT_SCHEMAS,
  replay,
  returnShippedV1ToV2,
  type DisputeEvent,
} from '../../src/domain';
import { buyer, day, returnAddressGiven } from '../../test-support/fixtures';

const disputeId = 'd-1';
/** ReturnShipped data as version 1 stored it: before RETURN_DELIVERY, some with a receipt date. */
const v1 = { disputeId, at: day(10), by: buyer, carrier: 'bpost', trackingNumber: 'TRK-1' };

describe('upcasters: every older version of a dispute or order event reads as the current one', () => {
  it('ReturnShipped 1 → 2: no delivery clock, and the receipt date that never counted is gone', () => {
    expect(returnShippedV1ToV2(v1)).toEqual({ ...v1, deliveryDueAt: null });
    expect(returnShippedV1ToV2({ ...v1, receiptDueAt: day(20) })).toEqual({
      ...v1,
      deliveryDueAt: null,
    });
    expect(DISPUTE_EVENT_UPCASTERS.ReturnShipped?.[1]?.({ ...v1, receiptDueAt: day(20) })).toEqual({
      ...v1,
      deliveryDueAt: null,
    });
  });

  it('an upcast v1 ReturnShipped folds: the return is in transit with no clock', () => {
    const shipped = { type: 'ReturnShipped', data: returnShippedV1ToV2(v1) } as DisputeEvent;
    expect(replay([...returnAddressGiven().events, shipped])).toMatchObject({
      status: 'RETURN_IN_TRANSIT',
      deadline: null,
    });
  });

  it('the schema tables cover every type at its version, with a step from each older version', () => {
    expect(Object.keys(DISPUTE_EVENT_SCHEMAS).sort()).toEqual([...DISPUTE_EVENT_TYPES].sort());
    for (const type of DISPUTE_EVENT_TYPES) {
      const schema = DISPUTE_EVENT_SCHEMAS[type];
      expect(schema.version).toBe(DISPUTE_EVENT_SCHEMA_VERSIONS[type]);
      for (let version = 1; version < schema.version; version++)
        expect(typeof schema.upcasters?.[version]).toBe('function');
    }
    expect(DISPUTE_EVENT_SCHEMAS.ReturnShipped).toMatchObject({ version: 2 });
    expect(Object.values(ORDER_EVENT_SCHEMAS)).toHaveLength(5);
    for (const schema of Object.values(ORDER_EVENT_SCHEMAS))
      expect(schema).toEqual({ version: ORDER_EVENT_SCHEMA_VERSION, upcasters: {} });
  });
});

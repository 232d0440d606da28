import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { RulingInput, SolutionInput, toRuling, toSolution } from './solution.inputs';

const amount = { amountMinor: 500, currency: 'EUR' };

describe('solution and ruling inputs', () => {
  it('map to domain values with only the fields their kind carries', () => {
    expect(toSolution({ kind: 'FULL_REFUND', amount })).toEqual({ kind: 'FULL_REFUND' });
    expect(toSolution({ kind: 'PARTIAL_REFUND', amount, returnShippingPaidBy: 'buyer' })).toEqual({
      kind: 'PARTIAL_REFUND',
      amount,
    });
    expect(toSolution({ kind: 'RETURN_AND_REFUND', amount })).toEqual({
      kind: 'RETURN_AND_REFUND',
      amount,
      returnShippingPaidBy: 'seller',
    });
    expect(toRuling({ kind: 'SELLER_FAVOUR', amount })).toEqual({ kind: 'SELLER_FAVOUR' });
    expect(toRuling({ kind: 'RESEND' })).toEqual({ kind: 'RESEND' });
  });

  it('share one shape; only a ruling may be SELLER_FAVOUR', async () => {
    const favour = { kind: 'SELLER_FAVOUR' };
    expect(await validate(plainToInstance(RulingInput, favour))).toEqual([]);
    const [refused] = await validate(plainToInstance(SolutionInput, favour));
    expect(refused?.property).toBe('kind');
    const [missing] = await validate(plainToInstance(SolutionInput, { kind: 'PARTIAL_REFUND' }));
    expect(missing?.property).toBe('amount');
    // @ts-expect-error checked by `npm run typecheck`: no solution is SELLER_FAVOUR
    expect(() => toSolution({ kind: 'SELLER_FAVOUR' })).toThrow('unknown solution kind');
  });
});

import { exponentialDelay, jitteredDelay, retrying } from './backoff';

describe('backoff', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => exponentialDelay(n, policy))).toEqual([
      100, 200, 400, 800, 1_000,
    ]);
    expect(exponentialDelay(0, policy)).toBe(100);
    expect(exponentialDelay(10_000, policy)).toBe(1_000);
  });

  it('spreads a lost race below step × attempt', () => {
    for (let n = 1; n <= 20; n++) {
      const delay = jitteredDelay(n, 5);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(5 * n);
    }
  });

  it('retries what is retryable, up to the bound, and throws the last failure', async () => {
    const attempts: number[] = [];
    const failing = retrying(
      async (n) => {
        attempts.push(n);
        throw new Error(`failure ${n}`);
      },
      { maxAttempts: 3, retryable: () => true, delayMs: () => 0 },
    );
    await expect(failing).rejects.toThrow('failure 3');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('throws a failure that is not retryable at once, and returns the first success', async () => {
    let calls = 0;
    const fatal = retrying(
      async () => {
        calls++;
        throw new TypeError('bug');
      },
      { maxAttempts: 5, retryable: (e) => !(e instanceof TypeError), delayMs: () => 0 },
    );
    await expect(fatal).rejects.toThrow('bug');
    expect(calls).toBe(1);
    const delays: number[] = [];
    const value = await retrying(async (n) => (n < 3 ? Promise.reject(new Error('busy')) : n), {
      maxAttempts: 5,
      retryable: () => true,
      delayMs: (n) => (delays.push(n), 1),
    });
    expect(value).toBe(3);
    expect(delays).toEqual([1, 2]);
  });
});

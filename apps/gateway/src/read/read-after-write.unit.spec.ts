import type { Actor } from '@arbiter/auth';
import type { DisputeReader } from '@arbiter/disputes/application';
import type { DisputeQueries, ProjectionRunner } from '@arbiter/read-models';
import { ReadAfterWrite } from './read-after-write';

// The runner and the queries are the collaborators' shapes only: this checks which of them the
// wait asks, not what they answer (the e2e suites run the real ones).
describe('ReadAfterWrite.viewAfter', () => {
  const actor = { id: 'u-1', role: 'buyer' } as unknown as Actor;

  function subject(reached: boolean) {
    const reads: string[] = [];
    const runner = { waitForPosition: async () => reached } as unknown as ProjectionRunner;
    const queries = {
      dispute: async (_actor: Actor, disputeId: string) => {
        reads.push(disputeId);
        return { disputeId, revision: 3 };
      },
    } as unknown as DisputeQueries;
    const reader = {} as DisputeReader;
    return { reads, readAfterWrite: new ReadAfterWrite(runner, queries, reader) };
  }

  it('reads the view once the projections reached the write', async () => {
    const { reads, readAfterWrite } = subject(true);
    const after = await readAfterWrite.viewAfter('d-1', 10n, actor, 100);
    expect(after).toEqual({ view: { disputeId: 'd-1', revision: 3 }, consistent: true });
    expect(reads).toEqual(['d-1']);
  });

  it('does not read a view it would not answer with when the wait ran out', async () => {
    const { reads, readAfterWrite } = subject(false);
    expect(await readAfterWrite.viewAfter('d-1', 10n, actor, 100)).toEqual({
      view: null,
      consistent: false,
    });
    expect(reads).toEqual([]);
  });
});

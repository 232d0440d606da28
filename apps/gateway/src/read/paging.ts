import { InvalidCursorError, MixedPagingError } from '@arbiter/read-models';
import { InputValidationError } from '../errors/input-validation';

/**
 * A cursor a list (or an event feed) did not hand out is bad input, pointed at like any other:
 * BAD_USER_INPUT on the `after` (or `before`) argument. So are both paging directions at once,
 * on `last` (or `before`), with the stable constraint name `pagingDirection`.
 */
export async function paging<T>(query: () => T | Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new InputValidationError([
        { path: error.argument, constraints: { cursor: error.message } },
      ]);
    if (error instanceof MixedPagingError)
      throw new InputValidationError([
        { path: error.argument, constraints: { pagingDirection: error.message } },
      ]);
    throw error;
  }
}

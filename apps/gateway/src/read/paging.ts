import { InvalidCursorError } from '@arbiter/read-models';
import { InputValidationError } from '../errors/input-validation';

/**
 * A cursor a list (or an event feed) did not hand out is bad input, pointed at like any other:
 * BAD_USER_INPUT on the `after` argument.
 */
export async function paging<T>(query: () => T | Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof InvalidCursorError)
      throw new InputValidationError([{ path: 'after', constraints: { cursor: error.message } }]);
    throw error;
  }
}

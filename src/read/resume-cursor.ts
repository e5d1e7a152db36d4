import { isConnectorError } from '../errors.js';
import { encodeCursor, type CursorState } from './cursor.js';

/**
 * A fault during a page carries the cursor from before that page in details.cursor: none of
 * the page's rows were delivered, so resuming from it loses and repeats nothing.
 */
export function withResumeCursor(error: unknown, state: CursorState): unknown {
  // Resuming cannot help where the cursor itself is the problem.
  if (!isConnectorError(error) || ['UIDVALIDITY_CHANGED', 'CURSOR_INVALID'].includes(error.code))
    return error;
  return error.withDetails({ cursor: encodeCursor(state) });
}

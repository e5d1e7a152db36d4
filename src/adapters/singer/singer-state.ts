/** Singer state: `{"bookmarks": {stream: StreamState}}`, as the last STATE message's value. */
import { compile } from '../../validators.js';
import { hostInputError } from '../host-input-error.js';
import { STREAM_STATE_SCHEMA, type StreamState } from '../stream-sync.js';

const STATE_SCHEMA = {
  type: 'object',
  properties: {
    bookmarks: { type: 'object', additionalProperties: STREAM_STATE_SCHEMA },
  },
};

const validateState = compile('singer-state', STATE_SCHEMA);

/**
 * The bookmarks of a state file. Meltano may hand the value wrapped as {"singer_state": ...}.
 * @throws USAGE_INVALID naming the bookmark at fault.
 */
export function bookmarksOf(state: unknown): Record<string, StreamState> {
  const value =
    typeof state === 'object' && state !== null && 'singer_state' in state
      ? (state as { singer_state: unknown }).singer_state
      : state;
  if (!validateState(value)) throw hostInputError('state', validateState.errors);
  return { ...((value as { bookmarks?: Record<string, StreamState> }).bookmarks ?? {}) };
}

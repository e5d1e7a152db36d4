import type { Session } from './open-session.js';
import { toUidSet } from './uid-set.js';
import { uidSearch } from './uid-search.js';

/**
 * Which of these UIDs of the selected folder are messages larger than `maxBytes`: one
 * `UID SEARCH UID set LARGER n` (RFC 3501 section 6.4.4), so their bodies are never asked for
 * and each is reported as MESSAGE_TOO_LARGE on its own while the rest is read.
 */
export async function oversizedAmong(
  session: Session,
  uids: readonly number[],
  maxBytes: number,
): Promise<Set<number>> {
  if (uids.length === 0) return new Set();
  const attributes = [
    { type: 'ATOM' as const, value: 'UID' },
    { type: 'SEQUENCE' as const, value: toUidSet([...uids].sort((a, b) => a - b)) },
    { type: 'ATOM' as const, value: 'LARGER' },
    { type: 'ATOM' as const, value: String(maxBytes) },
  ];
  const wanted = new Set(uids);
  return new Set((await uidSearch(session, attributes)).filter((uid) => wanted.has(uid)));
}

/** The row warning of a message whose body was not read because of maxMessageSize. */
export function oversizedWarning(size: number | undefined, maxBytes: number): string {
  return `MESSAGE_TOO_LARGE: the message is ${size ?? 'more than'} bytes, larger than maxMessageSize (${maxBytes}); its body was not read`;
}

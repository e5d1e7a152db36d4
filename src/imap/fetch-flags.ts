import { withCommandDeadline } from './command-deadline.js';
import type { Session } from './open-session.js';

/**
 * UID FETCH set (UID FLAGS) under the command deadline: each message's flags by UID. With a
 * MODSEQ (CONDSTORE), only the messages whose flags changed since.
 */
export async function fetchFlags(
  session: Session,
  set: string,
  changedSince?: string,
): Promise<Map<number, string[]>> {
  if (set === '') return new Map();
  const messages = await withCommandDeadline(session, 'UID FETCH (FLAGS)', () =>
    session.client.fetchAll(
      set,
      { uid: true, flags: true },
      { uid: true, ...(changedSince !== undefined ? { changedSince: BigInt(changedSince) } : {}) },
    ),
  );
  return new Map(messages.map((m) => [m.uid, [...(m.flags ?? [])]]));
}

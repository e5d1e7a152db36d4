/**
 * A message that drops the connection while read alone is given up on only once some message
 * came through whole in the run (read-faults.ts): until then the drops may be the link's, not
 * the message's. When that message is all a run has left to read (the newest mail of a mailbox
 * being migrated, a read resumed right before it), nothing else would ever come through, and
 * every run would fail on it. So the run first reads another message of the folder whole, one
 * it has read before if need be, and drops its bytes: the same proof a message read earlier in
 * the run would have given.
 */
import { fetchMessages } from '../imap/fetch-messages.js';
import type { Session } from '../imap/open-session.js';
import { uidSearch } from '../imap/uid-search.js';
import { toUidSet } from '../imap/uid-set.js';
import type { ReadFaults } from './read-faults.js';

// The proof is the newest message under this size (or maxMessageSize): one cheap FETCH.
const PROOF_MAX_BYTES = 1024 * 1024;

/** The largest a proof may be: 1 MB, or less when maxMessageSize is. */
export function proofMaxBytes(maxMessageSize: number): number {
  return Math.min(PROOF_MAX_BYTES, maxMessageSize);
}

/**
 * Reads the newest message of the selected folder under proofMaxBytes, other than `suspects`,
 * whole, and notes it as read in `faults`, unless some message came through already. A folder
 * without such a message gives no proof: its suspects then wait for other mail, as before.
 * @throws what the SEARCH or the FETCH throws (a drop is a drop: the caller reconnects)
 */
export async function proveCarriage(
  session: Session,
  faults: ReadFaults,
  suspects: readonly number[],
  maxMessageSize: number,
): Promise<void> {
  if (faults.cameThrough()) return;
  const others = await uidSearch(session, [
    { type: 'ATOM', value: 'NOT' },
    { type: 'ATOM', value: 'UID' },
    { type: 'SEQUENCE', value: toUidSet([...suspects].sort((a, b) => a - b)) },
    { type: 'ATOM', value: 'SMALLER' },
    { type: 'ATOM', value: String(proofMaxBytes(maxMessageSize)) },
  ]);
  const uid = others.at(-1);
  if (uid === undefined) return;
  const answer = await fetchMessages(session, [uid], { uid: true, source: true });
  if (!answer.messages.some((message) => message.uid === uid && message.source)) return;
  faults.noteRead(1);
  session.logger.info({
    msg: 'Read one other message whole: the connection carries mail, so its drops are the message',
    uid,
  });
}

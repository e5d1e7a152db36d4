/**
 * NOTIFY (RFC 5465): one session told of new, expunged and changed messages in folders other
 * than the one it has selected, so a watch of many folders needs one IDLE session, not one per
 * folder. The server announces a change of another folder with an untagged STATUS, during IDLE
 * as at any other time it may speak; what the STATUS says is not used: it only wakes the watch,
 * whose read from the cursor finds what changed.
 */
import { withCommandDeadline } from './command-deadline.js';
import { execCommand, onUnaskedUntagged, type ImapAttribute } from './imapflow-internals.js';
import { encodeMailboxName } from './mailbox-name.js';
import type { Session } from './open-session.js';

// RFC 5465 section 5: MessageNew and MessageExpunge go together; FlagChange for the change feed.
const EVENTS: ImapAttribute = ['MessageNew', 'MessageExpunge', 'FlagChange'].map((value) => ({
  type: 'ATOM' as const,
  value,
}));

/** `NOTIFY SET (SELECTED (events)) (MAILBOXES ("a" "b") (events))`, as imapflow compiles it. */
export function notifyAttributes(folders: readonly string[]): ImapAttribute[] {
  return [
    { type: 'ATOM', value: 'SET' },
    [{ type: 'ATOM', value: 'SELECTED' }, EVENTS],
    [
      { type: 'ATOM', value: 'MAILBOXES' },
      folders.map((folder) => ({ type: 'STRING' as const, value: encodeMailboxName(folder) })),
      EVENTS,
    ],
  ];
}

/**
 * Asks the server to tell this session of changes in `folders` (besides the selected one);
 * `onChange` runs for each. False when the server does not offer NOTIFY or refuses the
 * request (a folder it cannot watch, NOTIFY not allowed): the caller watches them otherwise.
 * @throws session errors (a cut, a timeout), as any command.
 */
export async function notifyOtherFolders(
  session: Session,
  folders: readonly string[],
  onChange: () => void,
): Promise<boolean> {
  const client = session.client;
  if (folders.length === 0 || !client.capabilities.has('NOTIFY')) return false;
  onUnaskedUntagged(client, 'STATUS', onChange);
  try {
    const answer = await withCommandDeadline(session, 'NOTIFY', () =>
      execCommand(client, 'NOTIFY', notifyAttributes(folders)),
    );
    answer.next();
    return true;
  } catch (error) {
    onUnaskedUntagged(client, 'STATUS', undefined);
    // A tagged NO or BAD: the server would not; anything else ended the session.
    const status = (error as { responseStatus?: string }).responseStatus;
    if (status === 'NO' || status === 'BAD') return false;
    throw error;
  }
}

import type { Session } from './open-session.js';
import { carriedOut } from './uid-actions.js';
import { withMailbox } from './with-mailbox.js';

/**
 * Removes every message of a folder (a replace import's first step) and says how many it
 * held. The whole folder goes, so a plain EXPUNGE is right where the server lacks UIDPLUS;
 * messages that arrive meanwhile stay (STORE and EXPUNGE name the UIDs seen at SELECT).
 */
export async function emptyFolder(session: Session, path: string): Promise<number> {
  return withMailbox(session, path, false, async () => {
    const held = session.client.mailbox ? session.client.mailbox.exists : 0;
    if (held === 0) return 0;
    const next = session.client.mailbox ? Number(session.client.mailbox.uidNext) : 0;
    const range = next > 1 ? `1:${next - 1}` : '1:*';
    await carriedOut(
      session,
      'UID STORE/EXPUNGE',
      () => session.client.messageDelete(range, { uid: true }),
      true,
    );
    return held;
  });
}

import type { Session } from './open-session.js';
import { withMailbox } from './with-mailbox.js';

/**
 * Which flags a folder keeps, by its PERMANENTFLAGS (RFC 3501 section 7.1). A folder that did
 * not say keeps every flag, one that answered `()` none; with \* it takes any flag, as imapflow
 * reads it for its own STORE and APPEND. A flag it does not keep is not sent (imapflow drops it
 * itself, and a server drops it silently from an APPEND): callers say so in their result
 * instead of losing it without a word.
 */
export function keepsFlag(permanent: ReadonlySet<string> | undefined, flag: string): boolean {
  return !permanent || permanent.has('\\*') || permanent.has(flag);
}

/** `flags` split into those the folder keeps and those it would leave out. */
export function splitByPermanence(
  permanent: ReadonlySet<string> | undefined,
  flags: readonly string[],
): { kept: string[]; leftOut: string[] } {
  const kept: string[] = [];
  const leftOut: string[] = [];
  for (const flag of flags) (keepsFlag(permanent, flag) ? kept : leftOut).push(flag);
  return { kept, leftOut };
}

/** The selected folder's PERMANENTFLAGS, as the session last heard them. */
export function permanentFlagsOf(session: Session): ReadonlySet<string> | undefined {
  const mailbox = session.client.mailbox;
  return mailbox ? mailbox.permanentFlags : undefined;
}

/** A folder's PERMANENTFLAGS, SELECTing it (read-write, as an APPEND or STORE sees it) unless it is. */
export function permanentFlagsOfFolder(
  session: Session,
  folder: string,
): Promise<ReadonlySet<string> | undefined> {
  return withMailbox(session, folder, false, async () => permanentFlagsOf(session));
}

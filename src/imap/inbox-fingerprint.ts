import { withCommandDeadline } from './command-deadline.js';
import type { Session } from './open-session.js';

/**
 * INBOX as a session sees it (STATUS UIDVALIDITY UIDNEXT MESSAGES). Two sessions of the same
 * login on the same address that see the same are in one mailbox (import/same-account.ts);
 * UIDVALIDITY alone is not enough: Dovecot makes it from the time a mailbox is created, so two
 * servers side by side can give one user's INBOX the same.
 */
export async function inboxFingerprint(session: Session): Promise<string> {
  const status = await withCommandDeadline(session, 'STATUS', () =>
    session.client.status('INBOX', { uidValidity: true, uidNext: true, messages: true }),
  );
  if (!status) return '';
  return `${String(status.uidValidity ?? '')} ${status.uidNext ?? ''} ${status.messages ?? ''}`;
}

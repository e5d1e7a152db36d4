import type { Session } from './open-session.js';

/** The selected folder's UIDVALIDITY as text; '' when the server sent none. */
export function uidValidityOf(session: Session): string {
  const mailbox = session.client.mailbox;
  // imapflow gives a bigint; some servers send none or 0 (modern-email/defects#52).
  return mailbox && mailbox.uidValidity !== undefined ? mailbox.uidValidity.toString() : '';
}

/**
 * The replay CSV: a run's failed mailboxes as a mailbox list to run again as it is, in the
 * hosting panel's layout with a header (mailbox-csv.ts reads it back), owner-only: it holds
 * passwords.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import type { MailboxEntry } from './mailbox-entry.js';

const HEADER =
  'IMAP server;IMAP username;IMAP password;Mailbox;Mailbox password;Owner;Access token;Refresh token;MailStore user name';

/** Every cell quoted, a quote inside doubled (RFC 4180 with ";" as the panel writes it). */
function cell(value: string | undefined): string {
  return value === undefined ? '' : `"${value.replace(/"/g, '""')}"`;
}

export function writeMailboxCsv(path: string, entries: readonly MailboxEntry[]): void {
  const lines = [
    HEADER,
    ...entries.map((entry) =>
      [
        entry.sourceServer,
        entry.sourceUser,
        entry.sourcePassword,
        entry.destinationMailbox,
        entry.destinationPassword,
        entry.owner,
        entry.sourceToken,
        entry.sourceRefreshToken,
        entry.archiveUser,
      ]
        .map(cell)
        .join(';'),
    ),
  ];
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Which source mailbox an archive folder's UIDVALIDITY belongs to. The archive keys a message
 * by account, folder, UIDVALIDITY and UID. Two mailboxes archived into one account (a named
 * archive user: MailStore's user name, `destination.account`) may share a UIDVALIDITY: Dovecot
 * gives mailboxes made in the same second the same one, and some servers start every mailbox at
 * 1. The second mailbox's messages then fell on the first one's keys and were dropped while
 * counted as copied. The first source to store under a UIDVALIDITY keeps it as it is (so
 * archives made before keep their keys); another source's is stored qualified by a hash of that
 * source, so their keys never meet.
 */
import { createHash } from 'node:crypto';
import type { SqliteDatabase } from './sqlite-driver.js';

/** Over the archive's `validity_owners` table (archive-db.ts), opened for writing. */
export class ValidityOwners {
  private readonly known = new Map<string, string>();

  /** `source`: the mailbox being archived, as its login and host name it (`user@host`). */
  constructor(
    private readonly db: SqliteDatabase,
    private readonly source: string,
  ) {}

  /** The UIDVALIDITY this source's messages of `folder` are stored under in `account`. */
  stored(account: string, folder: string, uidValidity: string): string {
    const key = JSON.stringify([account, folder, uidValidity]);
    let stored = this.known.get(key);
    if (stored === undefined) {
      stored = this.claim(account, folder, uidValidity);
      this.known.set(key, stored);
    }
    return stored;
  }

  private claim(account: string, folder: string, uidValidity: string): string {
    const source = this.source.toLowerCase();
    this.db
      .prepare(
        'INSERT OR IGNORE INTO validity_owners (account, folder, uid_validity, source) VALUES (?, ?, ?, ?)',
      )
      .run(account, folder, uidValidity, source);
    const owner = this.db
      .prepare(
        'SELECT source FROM validity_owners WHERE account = ? AND folder = ? AND uid_validity = ?',
      )
      .get(account, folder, uidValidity) as { source: string };
    if (owner.source === source) return uidValidity;
    return `${uidValidity}.${createHash('sha256').update(source).digest('hex').slice(0, 12)}`;
  }
}

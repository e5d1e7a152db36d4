import type { SqliteDatabase } from '../sinks/sqlite-file.js';
import type { MessageIdentity } from '../write/message-identity.js';

/** How far a job got in one source folder. */
export interface FolderProgress {
  uidValidity: string;
  /** Every message up to this UID is stored, a duplicate, or listed as failed. */
  lastUid: number;
}

/** An APPEND that was about to be sent: found at the destination on restart, or sent again. */
export interface Intent {
  folder: string;
  uidValidity: string;
  uid: number;
  destination: string;
  identity: MessageIdentity;
}

export interface FailedMessage {
  uid: number;
  code: string;
  message: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS import_progress (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, last_uid INTEGER NOT NULL,
  PRIMARY KEY (job, folder)
);
CREATE TABLE IF NOT EXISTS import_failed (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, uid INTEGER NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL,
  PRIMARY KEY (job, folder, uid_validity, uid)
);
CREATE TABLE IF NOT EXISTS import_intent (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, uid INTEGER NOT NULL, destination TEXT NOT NULL, identity TEXT NOT NULL,
  PRIMARY KEY (job, folder, uid_validity, uid)
);
CREATE TABLE IF NOT EXISTS import_pending_action (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, uid INTEGER NOT NULL,
  PRIMARY KEY (job, folder, uid_validity, uid)
);
`;

/**
 * What an import job has done, per source folder, kept in SQLite (the archive's own file, or
 * a state file for an IMAP destination). Every change is one transaction, so a killed process
 * leaves either the state before a message or the state after it, never half of each.
 * Like mbsync's journal, an APPEND is written down before it is sent (beginIntent) and
 * settled after (complete); an unsettled intent is checked against the destination on restart.
 */
export class ImportState {
  constructor(private readonly db: SqliteDatabase, private readonly job: string) {
    db.exec(SCHEMA);
  }

  progress(folder: string): FolderProgress | undefined {
    const row = this.db.prepare('SELECT uid_validity, last_uid FROM import_progress WHERE job = ? AND folder = ?').get(this.job, folder) as { uid_validity: string; last_uid: number } | undefined;
    return row ? { uidValidity: row.uid_validity, lastUid: row.last_uid } : undefined;
  }

  /** Forgets a folder whose UIDVALIDITY changed: its UIDs mean other messages now. */
  resetFolder(folder: string, uidValidity: string): void {
    this.db.transaction(() => {
      for (const table of ['import_progress', 'import_failed', 'import_intent', 'import_pending_action']) {
        this.db.prepare(`DELETE FROM ${table} WHERE job = ? AND folder = ?`).run(this.job, folder);
      }
      this.db.prepare('INSERT INTO import_progress (job, folder, uid_validity, last_uid) VALUES (?, ?, ?, 0)').run(this.job, folder, uidValidity);
    })();
  }

  failed(folder: string, uidValidity: string): FailedMessage[] {
    return this.db.prepare('SELECT uid, code, message FROM import_failed WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid').all(this.job, folder, uidValidity) as FailedMessage[];
  }

  intents(folder: string, uidValidity: string): Intent[] {
    const rows = this.db.prepare('SELECT uid, destination, identity FROM import_intent WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid').all(this.job, folder, uidValidity) as { uid: number; destination: string; identity: string }[];
    return rows.map((row) => ({ folder, uidValidity, uid: row.uid, destination: row.destination, identity: JSON.parse(row.identity) as MessageIdentity }));
  }

  pendingActions(folder: string, uidValidity: string): number[] {
    return (this.db.prepare('SELECT uid FROM import_pending_action WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid').all(this.job, folder, uidValidity) as { uid: number }[]).map((row) => row.uid);
  }

  beginIntent(intent: Intent): void {
    this.db
      .prepare('INSERT OR REPLACE INTO import_intent (job, folder, uid_validity, uid, destination, identity) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.job, intent.folder, intent.uidValidity, intent.uid, intent.destination, JSON.stringify(intent.identity));
  }

  dropIntent(folder: string, uidValidity: string, uid: number): void {
    this.db.prepare('DELETE FROM import_intent WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?').run(this.job, folder, uidValidity, uid);
  }

  /** The message is safely at the destination (stored, or already there): settle it in one transaction. */
  complete(folder: string, uidValidity: string, uid: number, postAction: boolean): void {
    this.db.transaction(() => {
      this.dropIntent(folder, uidValidity, uid);
      this.db.prepare('DELETE FROM import_failed WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?').run(this.job, folder, uidValidity, uid);
      if (postAction) this.db.prepare('INSERT OR IGNORE INTO import_pending_action (job, folder, uid_validity, uid) VALUES (?, ?, ?, ?)').run(this.job, folder, uidValidity, uid);
      this.advance(folder, uidValidity, uid);
    })();
  }

  /** The message could not be stored: listed for the next run to try again, and passed over in this one. */
  fail(folder: string, uidValidity: string, uid: number, code: string, message: string): void {
    this.db.transaction(() => {
      this.dropIntent(folder, uidValidity, uid);
      this.db.prepare('INSERT OR REPLACE INTO import_failed (job, folder, uid_validity, uid, code, message) VALUES (?, ?, ?, ?, ?, ?)').run(this.job, folder, uidValidity, uid, code, message);
      this.advance(folder, uidValidity, uid);
    })();
  }

  /** Post-read actions done (or their messages gone from the source). */
  clearActions(folder: string, uidValidity: string, uids: readonly number[]): void {
    const statement = this.db.prepare('DELETE FROM import_pending_action WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?');
    this.db.transaction(() => {
      for (const uid of uids) statement.run(this.job, folder, uidValidity, uid);
    })();
  }

  private advance(folder: string, uidValidity: string, uid: number): void {
    this.db
      .prepare(
        `INSERT INTO import_progress (job, folder, uid_validity, last_uid) VALUES (?, ?, ?, ?)
         ON CONFLICT (job, folder) DO UPDATE SET last_uid = max(last_uid, excluded.last_uid), uid_validity = excluded.uid_validity`,
      )
      .run(this.job, folder, uidValidity, uid);
  }
}

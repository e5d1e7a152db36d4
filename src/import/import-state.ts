import { hasTable, type SqliteDatabase } from '../sinks/sqlite-file.js';
import type { MessageIdentity } from '../write/message-identity.js';
import type { FailedMessage } from './import-result.js';
import {
  REQUEUED,
  type CopiedMessage,
  type FolderProgress,
  type Intent,
  type JobState,
} from './job-state.js';

export type { FolderProgress, Intent } from './job-state.js';

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
CREATE TABLE IF NOT EXISTS import_folder_map (
  job TEXT NOT NULL, folder TEXT NOT NULL, destination TEXT NOT NULL,
  PRIMARY KEY (job, folder)
);
CREATE TABLE IF NOT EXISTS pop3_message (
  job TEXT NOT NULL, uidl TEXT NOT NULL, id INTEGER NOT NULL, status TEXT NOT NULL,
  identity TEXT, received TEXT, code TEXT, message TEXT,
  PRIMARY KEY (job, uidl)
);
CREATE TABLE IF NOT EXISTS import_replaced (
  job TEXT NOT NULL PRIMARY KEY, replaced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS import_copied (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, uid INTEGER NOT NULL,
  flags TEXT NOT NULL, message_id_key TEXT, header_digest TEXT NOT NULL,
  PRIMARY KEY (job, folder, uid_validity, uid)
);
CREATE TABLE IF NOT EXISTS import_flag_mark (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, modseq TEXT NOT NULL,
  PRIMARY KEY (job, folder)
);
CREATE TABLE IF NOT EXISTS import_pending_action (
  job TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, uid INTEGER NOT NULL,
  PRIMARY KEY (job, folder, uid_validity, uid)
);
`;

/** A row of import_copied as SQLite gives it. */
type StoredCopy = {
  uid: number;
  flags: string;
  message_id_key: string | null;
  header_digest: string;
};

const copiedOf = (rows: readonly StoredCopy[]): CopiedMessage[] =>
  rows.map((row) => ({
    uid: row.uid,
    flags: row.flags,
    messageIdKey: row.message_id_key ?? undefined,
    headerDigest: row.header_digest,
  }));

/**
 * Whether a run of `job` dealt with any message (an IMAP folder's checkpoint moved, or a POP3
 * message was written down): replace mode must not empty what that run put at the destination.
 * Read-only, and for a state file of any version (a table it lacks holds nothing of the job).
 */
export function jobRanBefore(db: SqliteDatabase, job: string): boolean {
  return (
    (hasTable(db, 'import_progress') &&
      db.prepare('SELECT 1 FROM import_progress WHERE job = ? AND last_uid > 0').get(job) !==
        undefined) ||
    (hasTable(db, 'pop3_message') &&
      db.prepare('SELECT 1 FROM pop3_message WHERE job = ?').get(job) !== undefined)
  );
}

/**
 * What an import job has done, per source folder, kept in SQLite (the archive's own file, or
 * a state file for an IMAP destination). Every change is one transaction, so a killed process
 * leaves either the state before a message or the state after it, never half of each.
 * Like mbsync's journal, an APPEND is written down before it is sent (beginIntent) and
 * settled after (complete); an unsettled intent is checked against the destination on restart.
 */
export class ImportState implements JobState {
  // Prepared once: preparing a statement per call was 4% of an import's CPU.
  private readonly sql;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly job: string,
  ) {
    db.exec(SCHEMA);
    const prepare = (text: string) => db.prepare(text);
    this.sql = {
      progress: prepare(
        'SELECT uid_validity, last_uid FROM import_progress WHERE job = ? AND folder = ?',
      ),
      destinationOf: prepare(
        'SELECT destination FROM import_folder_map WHERE job = ? AND folder = ?',
      ),
      recordDestination: prepare(
        'INSERT OR IGNORE INTO import_folder_map (job, folder, destination) VALUES (?, ?, ?)',
      ),
      resetTables: [
        'import_progress',
        'import_failed',
        'import_intent',
        'import_pending_action',
        'import_copied',
        'import_flag_mark',
      ].map((table) => prepare(`DELETE FROM ${table} WHERE job = ? AND folder = ?`)),
      startProgress: prepare(
        'INSERT INTO import_progress (job, folder, uid_validity, last_uid) VALUES (?, ?, ?, 0)',
      ),
      failed: prepare(
        'SELECT uid, code, message FROM import_failed WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid',
      ),
      intents: prepare(
        'SELECT uid, destination, identity FROM import_intent WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid',
      ),
      pending: prepare(
        'SELECT uid FROM import_pending_action WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid',
      ),
      addIntent: prepare(
        'INSERT OR REPLACE INTO import_intent (job, folder, uid_validity, uid, destination, identity) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      dropIntent: prepare(
        'DELETE FROM import_intent WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?',
      ),
      dropFailed: prepare(
        'DELETE FROM import_failed WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?',
      ),
      addFailed: prepare(
        'INSERT OR REPLACE INTO import_failed (job, folder, uid_validity, uid, code, message) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      addPending: prepare(
        'INSERT OR IGNORE INTO import_pending_action (job, folder, uid_validity, uid) VALUES (?, ?, ?, ?)',
      ),
      dropPending: prepare(
        'DELETE FROM import_pending_action WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?',
      ),
      addCopied: prepare(
        'INSERT OR REPLACE INTO import_copied (job, folder, uid_validity, uid, flags, message_id_key, header_digest) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      copied: prepare(
        'SELECT uid, flags, message_id_key, header_digest FROM import_copied WHERE job = ? AND folder = ? AND uid_validity = ? ORDER BY uid',
      ),
      copiedOne: prepare(
        'SELECT uid, flags, message_id_key, header_digest FROM import_copied WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?',
      ),
      copiedInto: prepare(
        `SELECT c.uid, c.flags, c.message_id_key, c.header_digest FROM import_copied c
         JOIN import_folder_map m ON m.job = c.job AND m.folder = c.folder
         WHERE c.job = ? AND m.destination = ? AND c.folder <> ?`,
      ),
      dropCopied: prepare(
        'DELETE FROM import_copied WHERE job = ? AND folder = ? AND uid_validity = ? AND uid = ?',
      ),
      flagMark: prepare(
        'SELECT modseq FROM import_flag_mark WHERE job = ? AND folder = ? AND uid_validity = ?',
      ),
      setFlagMark: prepare(
        'INSERT OR REPLACE INTO import_flag_mark (job, folder, uid_validity, modseq) VALUES (?, ?, ?, ?)',
      ),
      advance: prepare(
        `INSERT INTO import_progress (job, folder, uid_validity, last_uid) VALUES (?, ?, ?, ?)
         ON CONFLICT (job, folder) DO UPDATE SET last_uid = max(last_uid, excluded.last_uid), uid_validity = excluded.uid_validity`,
      ),
    };
  }

  progress(folder: string): FolderProgress | undefined {
    const row = this.sql.progress.get(this.job, folder) as
      | { uid_validity: string; last_uid: number }
      | undefined;
    return row ? { uidValidity: row.uid_validity, lastUid: row.last_uid } : undefined;
  }

  /**
   * Where this job put a source folder, once it first did: later runs send it there again,
   * whatever the destination's folders look like by then (issue 9).
   */
  destinationOf(folder: string): string | undefined {
    return (this.sql.destinationOf.get(this.job, folder) as { destination: string } | undefined)
      ?.destination;
  }

  recordDestination(folder: string, destination: string): void {
    this.sql.recordDestination.run(this.job, folder, destination);
  }

  replaced(): boolean {
    return (
      this.db.prepare('SELECT 1 FROM import_replaced WHERE job = ?').get(this.job) !== undefined
    );
  }

  ranBefore(): boolean {
    return jobRanBefore(this.db, this.job);
  }

  markReplaced(): void {
    this.db.transaction(() => {
      for (const table of [
        'import_progress',
        'import_failed',
        'import_intent',
        'import_pending_action',
        'import_copied',
        'import_flag_mark',
        'pop3_message',
      ])
        this.db.prepare(`DELETE FROM ${table} WHERE job = ?`).run(this.job);
      this.db
        .prepare('INSERT OR REPLACE INTO import_replaced (job, replaced_at) VALUES (?, ?)')
        .run(this.job, new Date().toISOString());
    })();
  }

  resetFolder(folder: string, uidValidity: string): void {
    this.db.transaction(() => {
      for (const statement of this.sql.resetTables) statement.run(this.job, folder);
      this.sql.startProgress.run(this.job, folder, uidValidity);
    })();
  }

  failed(folder: string, uidValidity: string): FailedMessage[] {
    return this.sql.failed.all(this.job, folder, uidValidity) as FailedMessage[];
  }

  intents(folder: string, uidValidity: string): Intent[] {
    const rows = this.sql.intents.all(this.job, folder, uidValidity) as {
      uid: number;
      destination: string;
      identity: string;
    }[];
    return rows.map((row) => ({
      folder,
      uidValidity,
      uid: row.uid,
      destination: row.destination,
      identity: JSON.parse(row.identity) as MessageIdentity,
    }));
  }

  pendingActions(folder: string, uidValidity: string): number[] {
    return (this.sql.pending.all(this.job, folder, uidValidity) as { uid: number }[]).map(
      (row) => row.uid,
    );
  }

  recordCopied(folder: string, uidValidity: string, copies: readonly CopiedMessage[]): void {
    this.db.transaction(() => {
      for (const copy of copies)
        this.sql.addCopied.run(
          this.job,
          folder,
          uidValidity,
          copy.uid,
          copy.flags,
          copy.messageIdKey ?? null,
          copy.headerDigest,
        );
    })();
  }

  copiedMessages(folder: string, uidValidity: string, uids?: readonly number[]): CopiedMessage[] {
    const rows: StoredCopy[] =
      uids === undefined
        ? (this.sql.copied.all(this.job, folder, uidValidity) as StoredCopy[])
        : uids.flatMap(
            (uid) =>
              (this.sql.copiedOne.all(this.job, folder, uidValidity, uid) as StoredCopy[]) ?? [],
          );
    return copiedOf(rows);
  }

  copiedInto(destination: string, exceptFolder: string): CopiedMessage[] {
    return copiedOf(this.sql.copiedInto.all(this.job, destination, exceptFolder) as StoredCopy[]);
  }

  forgetCopied(folder: string, uidValidity: string, uids: readonly number[]): void {
    this.db.transaction(() => {
      for (const uid of uids) this.sql.dropCopied.run(this.job, folder, uidValidity, uid);
    })();
  }

  flagMark(folder: string, uidValidity: string): string | undefined {
    return (this.sql.flagMark.get(this.job, folder, uidValidity) as { modseq: string } | undefined)
      ?.modseq;
  }

  setFlagMark(folder: string, uidValidity: string, modseq: string): void {
    this.sql.setFlagMark.run(this.job, folder, uidValidity, modseq);
  }

  /** Writes down APPENDs about to be sent, all in one transaction. */
  beginIntents(intents: readonly Intent[]): void {
    this.db.transaction(() => {
      for (const intent of intents)
        this.sql.addIntent.run(
          this.job,
          intent.folder,
          intent.uidValidity,
          intent.uid,
          intent.destination,
          JSON.stringify(intent.identity),
        );
    })();
  }

  /**
   * An APPEND written down but not at the destination: listed to be copied again, in one
   * transaction with dropping its intent. The checkpoint may already lie beyond it (a later
   * step was stored while this one was refused or cut), so it must not wait for the checkpoint.
   */
  requeueIntent(
    folder: string,
    uidValidity: string,
    uid: number,
    failure: Omit<FailedMessage, 'uid'> = REQUEUED,
  ): void {
    this.db.transaction(() => {
      this.sql.addFailed.run(this.job, folder, uidValidity, uid, failure.code, failure.message);
      this.sql.dropIntent.run(this.job, folder, uidValidity, uid);
    })();
  }

  /** Messages safely at the destination (stored, or already there): settled in one transaction. */
  completeAll(
    folder: string,
    uidValidity: string,
    uids: readonly number[],
    postAction: boolean,
  ): void {
    this.db.transaction(() => {
      for (const uid of uids) {
        this.sql.dropIntent.run(this.job, folder, uidValidity, uid);
        this.sql.dropFailed.run(this.job, folder, uidValidity, uid);
        if (postAction) this.sql.addPending.run(this.job, folder, uidValidity, uid);
        this.sql.advance.run(this.job, folder, uidValidity, uid);
      }
    })();
  }

  /** The message is safely at the destination (stored, or already there): settle it in one transaction. */
  complete(folder: string, uidValidity: string, uid: number, postAction: boolean): void {
    this.completeAll(folder, uidValidity, [uid], postAction);
  }

  /**
   * One step of an import, in one transaction: the messages now at the destination (stored or
   * duplicates) and those refused (listed for the next run). Both advance the folder's last UID.
   */
  settle(
    folder: string,
    uidValidity: string,
    ok: readonly number[],
    failed: readonly FailedMessage[],
    postAction: boolean,
  ): void {
    this.db.transaction(() => {
      for (const failure of failed) {
        this.sql.dropIntent.run(this.job, folder, uidValidity, failure.uid);
        this.sql.addFailed.run(
          this.job,
          folder,
          uidValidity,
          failure.uid,
          failure.code,
          failure.message,
        );
        this.sql.advance.run(this.job, folder, uidValidity, failure.uid);
      }
      this.completeAll(folder, uidValidity, ok, postAction);
    })();
  }

  /** Lists messages that failed before their turn to settle; the checkpoint does not move. */
  listFailed(folder: string, uidValidity: string, failed: readonly FailedMessage[]): void {
    this.db.transaction(() => {
      for (const failure of failed)
        this.sql.addFailed.run(
          this.job,
          folder,
          uidValidity,
          failure.uid,
          failure.code,
          failure.message,
        );
    })();
  }

  /** Failed messages that are gone from the source. */
  forgetFailed(folder: string, uidValidity: string, uids: readonly number[]): void {
    this.db.transaction(() => {
      for (const uid of uids) this.sql.dropFailed.run(this.job, folder, uidValidity, uid);
    })();
  }

  /** Post-read actions done (or their messages gone from the source). */
  clearActions(folder: string, uidValidity: string, uids: readonly number[]): void {
    this.db.transaction(() => {
      for (const uid of uids) this.sql.dropPending.run(this.job, folder, uidValidity, uid);
    })();
  }
}

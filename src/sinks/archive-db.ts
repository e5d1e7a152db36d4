import { makeError } from '../errors.js';
import { contentHashIn, type MessageIdentity } from '../write/message-identity.js';
import {
  checkedSource,
  COMPRESSION,
  parseFlags,
  sourceKey,
  type StoredRow,
} from './archive-blob.js';
import { CODEC_BROTLI } from './base64-runs.js';
import { packSourceSync, type PackedSource } from './source-packer.js';
import { hasTable, openSqliteFile, type SqliteDatabase } from './sqlite-file.js';

const FORMAT = 'imap-connector-archive';
// 2: blobs have a codec column (base64-runs.ts). Version 1 archives gain it, as codec 0,
// when first opened for writing; read-only they are read as they are.
const VERSION = '2';

/** One message as the archive keeps it. */
export interface ArchiveEntry {
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  identity: MessageIdentity;
  raw: Buffer;
  flags: readonly string[];
  internalDate: string | undefined;
  row: unknown;
}

/** One message read back out. */
export interface ArchivedMessage {
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  flags: string[];
  internalDate: string | null;
  /** The exact source; empty when `damage` says why it cannot be given. */
  raw: Buffer;
  /** Null when the source decompressed to the bytes its SHA-256 names; else what is wrong. */
  damage: string | null;
}

/** The result of Archive.verify(). */
export interface VerifyResult {
  messages: number;
  damaged: Pick<ArchivedMessage, 'account' | 'folder' | 'uidValidity' | 'uid' | 'damage'>[];
  /** SQLite's own structure and index check: "ok", or its first problems. */
  database: string[];
}

export interface FolderStats {
  account: string;
  folder: string;
  messages: number;
  /** Sum of the messages' sizes as received. */
  bytes: number;
  firstDate: string | null;
  lastDate: string | null;
}

export interface ArchiveStats {
  folders: FolderStats[];
  messages: number;
  bytes: number;
  /** Distinct message sources after compression: what the file spends on mail. */
  storedBytes: number;
}

/** One archived message's row and place, without its source (Archive.rows). */
export interface ArchivedRow {
  /** The archive's own id of the message: Archive.message(id) reads it. */
  id: number;
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
  internalDate: string | null;
  size: number;
  row: Record<string, unknown>;
}

export interface ArchiveFilter {
  account?: string | undefined;
  folder?: string | undefined;
}

// Sources are content-addressed (sha256 of the exact bytes) and compressed (codec: 0 Brotli,
// 1 base64 runs), so a message in two folders or accounts is kept once.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS archive_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  compressed BLOB NOT NULL,
  codec INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  account TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity TEXT NOT NULL,
  uid INTEGER NOT NULL,
  message_id TEXT,
  message_id_key TEXT,
  content_hash TEXT NOT NULL,
  blob TEXT NOT NULL REFERENCES blobs(sha256),
  size INTEGER NOT NULL,
  internal_date TEXT,
  flags TEXT NOT NULL,
  row TEXT NOT NULL,
  UNIQUE (account, folder, uid_validity, uid)
);
CREATE INDEX IF NOT EXISTS messages_by_message_id ON messages (account, folder, message_id_key);
CREATE INDEX IF NOT EXISTS messages_by_content ON messages (account, folder, content_hash);
CREATE TABLE IF NOT EXISTS validity_owners (
  account TEXT NOT NULL, folder TEXT NOT NULL, uid_validity TEXT NOT NULL, source TEXT NOT NULL,
  PRIMARY KEY (account, folder, uid_validity)
);
`;

/**
 * SQLite's refusal to read a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) as ARCHIVE_DAMAGED;
 * anything else unchanged.
 */
export function asArchiveError(error: unknown, path: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return makeError(
      'ARCHIVE_DAMAGED',
      `The archive ${JSON.stringify(path)} is damaged: SQLite cannot read part of it (${code}).`,
      { details: { path, sqliteCode: code }, cause: error },
    );
  }
  return error;
}

/**
 * The embedded archive: one SQLite file with each message's compressed source, its row and
 * (through ImportState, in the same file) each account's and folder's progress.
 */
export class Archive {
  // Prepared once, on first use (opening an archive for stats needs none of them).
  private statements: ReturnType<Archive['prepareStatements']> | undefined;

  private constructor(
    readonly db: SqliteDatabase,
    readonly path: string,
    private readonly readonly: boolean,
    // What reads a blob's codec: its column, or 0 in a version 1 archive opened read-only.
    private readonly codecColumn: string,
  ) {}

  private prepareStatements() {
    return {
      byMessageId: this.db.prepare(
        'SELECT 1 FROM messages WHERE account = ? AND folder = ? AND message_id_key = ? LIMIT 1',
      ),
      byContent: this.db.prepare(
        'SELECT 1 FROM messages WHERE account = ? AND folder = ? AND content_hash = ? LIMIT 1',
      ),
      addBlob: this.db.prepare(
        'INSERT OR IGNORE INTO blobs (sha256, size, compressed, codec) VALUES (?, ?, ?, ?)',
      ),
      addMessage: this.db.prepare(
        `INSERT OR IGNORE INTO messages (account, folder, uid_validity, uid, message_id, message_id_key, content_hash, blob, size, internal_date, flags, row)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  private get sql(): ReturnType<Archive['prepareStatements']> {
    this.statements ??= this.prepareStatements();
    return this.statements;
  }

  /**
   * Opens an archive, creating it when `create` is set and the file is new.
   * @throws ARCHIVE_INVALID for a file that is not an archive, or a missing one without `create`.
   */
  static open(path: string, options: { create: boolean; readonly?: boolean }): Archive {
    const readonly = options.readonly ?? false;
    const db = openSqliteFile(path, 'archive', { mustExist: !options.create, readonly });
    try {
      const tables = db
        .prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`)
        .get() as { n: number };
      const unfinished = tables.n > 0 && unfinishedCreation(db);
      const made = ['archive_meta', 'blobs', 'messages'].every((name) => hasTable(db, name));
      if ((tables.n === 0 || (unfinished && !made)) && !options.create)
        throw makeError('ARCHIVE_INVALID', `There is no archive at ${JSON.stringify(path)}.`, {
          details: { path },
        });
      if (tables.n > 0 && !unfinished) {
        const format = hasTable(db, 'archive_meta')
          ? (db.prepare(`SELECT value FROM archive_meta WHERE key = 'format'`).get() as
              | { value: string }
              | undefined)
          : undefined;
        if (format?.value !== FORMAT)
          throw makeError(
            'ARCHIVE_INVALID',
            `${JSON.stringify(path)} is a SQLite file but not an imap-connector archive.`,
            { details: { path } },
          );
      }
      // The tables and the format mark in one transaction: a run killed while creating the
      // file leaves it empty, never half made (which the check above would then refuse).
      if (!readonly)
        db.transaction(() => {
          db.exec(SCHEMA);
          if (!hasColumn(db, 'blobs', 'codec')) {
            db.exec('ALTER TABLE blobs ADD COLUMN codec INTEGER NOT NULL DEFAULT 0');
            db.prepare(`UPDATE archive_meta SET value = ? WHERE key = 'version'`).run(VERSION);
          }
          db.prepare(
            `INSERT OR IGNORE INTO archive_meta (key, value) VALUES ('format', ?), ('version', ?), ('compression', ?)`,
          ).run(FORMAT, VERSION, COMPRESSION);
        })();
      // Opened for writing, the column was just made sure of; read-only, a version 1 has none.
      const codecColumn = readonly && !hasColumn(db, 'blobs', 'codec') ? '0' : 'b.codec';
      return new Archive(db, path, readonly, codecColumn);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Whether the folder holds a message with this Message-ID key. */
  hasMessageIdKey(account: string, folder: string, key: string): boolean {
    return this.sql.byMessageId.get(account, folder, key) !== undefined;
  }

  /** Whether the folder holds a message with this content hash. */
  hasContentHash(account: string, folder: string, hash: string): boolean {
    return this.sql.byContent.get(account, folder, hash) !== undefined;
  }

  /**
   * Stores one message in one transaction. The same source message (account, folder,
   * UIDVALIDITY, UID) stored twice is kept once, whatever the dedupe mode.
   * @returns false when that source message was already there.
   */
  store(entry: ArchiveEntry, compressed?: Buffer): boolean {
    // Compress outside the transaction: it is the slow part, and a kill before COMMIT keeps nothing.
    const packed = compressed
      ? { compressed, codec: CODEC_BROTLI, sha256: sourceKey(entry.raw) }
      : packSourceSync(entry.raw);
    return this.storeAll([{ entry, packed }])[0]!;
  }

  /**
   * Stores messages already packed (source-packer.ts) in one transaction: all of them or, on
   * an error, none. One COMMIT per import step rather than per message: a commit rewrites the
   * table and index pages it touched, most of the writing for small messages.
   * @returns per message, false when that source message was already there.
   */
  storeAll(items: readonly { entry: ArchiveEntry; packed: PackedSource }[]): boolean[] {
    return this.db.transaction(() =>
      items.map(({ entry, packed }) => {
        this.sql.addBlob.run(packed.sha256, entry.raw.length, packed.compressed, packed.codec);
        const inserted = this.sql.addMessage.run(
          entry.account,
          entry.folder,
          entry.uidValidity,
          entry.uid,
          entry.identity.messageId ?? null,
          entry.identity.messageIdKey ?? null,
          contentHashIn(entry.identity),
          packed.sha256,
          entry.raw.length,
          entry.internalDate ?? null,
          JSON.stringify(entry.flags),
          JSON.stringify(entry.row),
        );
        return inserted.changes > 0;
      }),
    )();
  }

  /**
   * Sets the flags of an archived source message, in its column and its row.
   * @returns false when the archive does not hold that source message.
   */
  updateFlags(
    account: string,
    folder: string,
    uidValidity: string,
    uid: number,
    flags: readonly string[],
  ): boolean {
    const text = JSON.stringify(flags);
    return (
      this.db
        .prepare(
          `UPDATE messages SET flags = ?, row = json_set(row, '$.flags', json(?))
           WHERE account = ? AND folder = ? AND uid_validity = ? AND uid = ?`,
        )
        .run(text, text, account, folder, uidValidity, uid).changes > 0
    );
  }

  /**
   * Removes an archived source message (mirrorDeletions), and its source when no other
   * message shares it. A source message archived under another UID's row (the source held it
   * twice, the second found as a duplicate) is found by `messageIdKey` when the folder holds
   * exactly one message with that key under this UIDVALIDITY: another mailbox archived into the
   * same account (its own UIDVALIDITY, archive-validity.ts) keeps its copy.
   * @returns false when the archive does not hold that source message.
   */
  removeMessage(
    account: string,
    folder: string,
    uidValidity: string,
    uid: number,
    messageIdKey?: string,
  ): boolean {
    type Found = { id: number; blob: string };
    return this.db.transaction(() => {
      let found = this.db
        .prepare(
          'SELECT id, blob FROM messages WHERE account = ? AND folder = ? AND uid_validity = ? AND uid = ?',
        )
        .get(account, folder, uidValidity, uid) as Found | undefined;
      if (!found && messageIdKey !== undefined) {
        const alike = this.db
          .prepare(
            'SELECT id, blob FROM messages WHERE account = ? AND folder = ? AND uid_validity = ? AND message_id_key = ? LIMIT 2',
          )
          .all(account, folder, uidValidity, messageIdKey) as Found[];
        if (alike.length === 1) found = alike[0];
      }
      if (!found) return false;
      this.db.prepare('DELETE FROM messages WHERE id = ?').run(found.id);
      this.db
        .prepare(
          'DELETE FROM blobs WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE blob = ?)',
        )
        .run(found.blob, found.blob);
      return true;
    })();
  }

  /**
   * Every archived message matching the filter, one at a time (constant memory), in archive
   * order. Each source is checked against the SHA-256 it is stored under (issue 9: flipped
   * bits were exported as good mail); a damaged one comes with `damage` and no bytes.
   */
  *messages(filter: ArchiveFilter = {}): Generator<ArchivedMessage> {
    const rows = this.db
      .prepare(
        `SELECT m.account, m.folder, m.uid_validity, m.uid, m.flags, m.internal_date, m.blob, m.size, b.compressed, ${this.codecColumn} AS codec
         FROM messages m LEFT JOIN blobs b ON b.sha256 = m.blob
         WHERE (@account IS NULL OR m.account = @account) AND (@folder IS NULL OR m.folder = @folder)
         ORDER BY m.account, m.folder, m.uid_validity, m.uid`,
      )
      .iterate({
        account: filter.account ?? null,
        folder: filter.folder ?? null,
      }) as Iterable<StoredRow>;
    for (const row of rows) {
      const { raw, damage } = checkedSource(row);
      yield {
        account: row.account,
        folder: row.folder,
        uidValidity: row.uid_validity,
        uid: row.uid,
        flags: parseFlags(row.flags),
        internalDate: row.internal_date,
        raw,
        damage,
      };
    }
  }

  /**
   * Every archived message's row (as read when it was archived) with where it is, one at a time,
   * without the sources: what a search index is built from.
   */
  *rows(): Generator<ArchivedRow> {
    const rows = this.db
      .prepare(
        `SELECT id, account, folder, uid_validity, uid, internal_date, size, row FROM messages ORDER BY id`,
      )
      .iterate() as Iterable<{
      id: number;
      account: string;
      folder: string;
      uid_validity: string;
      uid: number;
      internal_date: string | null;
      size: number;
      row: string;
    }>;
    for (const row of rows)
      yield {
        id: Number(row.id),
        account: row.account,
        folder: row.folder,
        uidValidity: row.uid_validity,
        uid: Number(row.uid),
        internalDate: row.internal_date,
        size: Number(row.size),
        row: JSON.parse(row.row) as Record<string, unknown>,
      };
  }

  /** One archived message by the id rows() gives, its source checked; undefined when there is none. */
  message(id: number): (ArchivedMessage & { row: Record<string, unknown> }) | undefined {
    const found = this.db
      .prepare(
        `SELECT m.account, m.folder, m.uid_validity, m.uid, m.flags, m.internal_date, m.blob, m.size, m.row, b.compressed, ${this.codecColumn} AS codec
         FROM messages m LEFT JOIN blobs b ON b.sha256 = m.blob WHERE m.id = ?`,
      )
      .get(id) as (StoredRow & { row: string }) | undefined;
    if (!found) return undefined;
    const { raw, damage } = checkedSource(found);
    return {
      account: found.account,
      folder: found.folder,
      uidValidity: found.uid_validity,
      uid: Number(found.uid),
      flags: parseFlags(found.flags),
      internalDate: found.internal_date,
      raw,
      damage,
      row: JSON.parse(found.row) as Record<string, unknown>,
    };
  }

  /** Reads every message back and checks it, and SQLite's own structure (archive verify). */
  verify(): VerifyResult {
    const result: VerifyResult = { messages: 0, damaged: [], database: [] };
    for (const message of this.messages()) {
      result.messages++;
      if (message.damage)
        result.damaged.push({
          account: message.account,
          folder: message.folder,
          uidValidity: message.uidValidity,
          uid: message.uid,
          damage: message.damage,
        });
    }
    // integrity_check, not quick_check: it also compares every index with its table, which
    // finds a flipped bit in a message's UID or folder.
    result.database = (this.db.pragma('integrity_check(20)') as { integrity_check: string }[]).map(
      (row) => row.integrity_check,
    );
    return result;
  }

  /** Counts per account and folder, and what the file spends on mail. */
  stats(): ArchiveStats {
    const folders = this.db
      .prepare(
        `SELECT account, folder, count(*) AS messages, sum(size) AS bytes, min(internal_date) AS firstDate, max(internal_date) AS lastDate
         FROM messages GROUP BY account, folder ORDER BY account, folder`,
      )
      .all() as FolderStats[];
    const stored = this.db
      .prepare('SELECT coalesce(sum(length(compressed)), 0) AS n FROM blobs')
      .get() as { n: number };
    return {
      folders,
      messages: folders.reduce((sum, folder) => sum + folder.messages, 0),
      bytes: folders.reduce((sum, folder) => sum + folder.bytes, 0),
      storedBytes: stored.n,
    };
  }

  /**
   * Closes the file. A writer leaves it in rollback-journal mode: SQLite cannot open a WAL file
   * read-only on read-only media (a backup disc) once its -wal and -shm are gone; the next
   * writer turns WAL on again. Another process still using it keeps it in WAL, which is fine.
   */
  close(): void {
    if (!this.readonly && this.db.open) {
      try {
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // Busy: another connection has it open; it stays WAL until the last writer closes.
      }
    }
    this.db.close();
  }
}

/**
 * An archive whose creation was cut off by an earlier version (tables made one by one, the
 * format mark last): only this schema's tables, all of them empty. It is finished, not refused.
 */
function unfinishedCreation(db: SqliteDatabase): boolean {
  const ours = new Set(['archive_meta', 'blobs', 'messages']);
  const tables = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
  ).map((table) => table.name);
  return (
    tables.every((name) => ours.has(name)) &&
    tables.every((name) => db.prepare(`SELECT 1 FROM "${name}" LIMIT 1`).get() === undefined)
  );
}

function hasColumn(db: SqliteDatabase, table: string, column: string): boolean {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).some(
    (info) => info.name === column,
  );
}

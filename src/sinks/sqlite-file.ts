import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { makeError } from '../errors.js';
import { openDatabase, type SqliteDatabase } from './sqlite-driver.js';

export type { SqliteDatabase };

/**
 * Creates the file owner-only (0600) before SQLite opens it: it holds mail or what mail was
 * copied, and SQLite gives its -wal and -shm files the mode of the database file.
 */
export function createPrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, constants.O_CREAT | constants.O_WRONLY, 0o600));
}

/** The SQLite driver itself, for files this module does not manage (job locks). */
export function openSqliteDriver(
  path: string,
  options: { timeout: number; readonly?: boolean },
): SqliteDatabase {
  if (!options.readonly) createPrivateFile(path);
  return openDatabase(path, {
    busyTimeoutMs: options.timeout,
    readonly: options.readonly ?? false,
  });
}

/**
 * Opens (or creates) a SQLite file for the archive or an import's state. WAL + NORMAL sync:
 * a committed transaction survives a killed process, and a kill mid-transaction leaves
 * nothing half-written. `readonly` opens an existing file without writing to it (stats,
 * export, verify), also on read-only media.
 * @throws ARCHIVE_INVALID when the file exists but is not a SQLite database.
 */
export function openSqliteFile(
  path: string,
  what: string,
  options: { mustExist?: boolean; readonly?: boolean } = {},
): SqliteDatabase {
  if ((options.mustExist || options.readonly) && !existsSync(path))
    throw makeError('ARCHIVE_INVALID', `There is no ${what} at ${JSON.stringify(path)}.`, {
      details: { path },
    });
  let db: SqliteDatabase | undefined;
  try {
    // Another process (a second import on the same file) waits rather than failing at once.
    db = openSqliteDriver(path, { timeout: 10_000, readonly: options.readonly ?? false });
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    // Reading the schema is what tells a SQLite file from any other (SQLITE_NOTADB).
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db?.close();
    if ((error as { code?: string }).code === 'SQLITE_UNAVAILABLE') throw error;
    throw makeError(
      'ARCHIVE_INVALID',
      `The ${what} ${JSON.stringify(path)} cannot be opened as a SQLite database: ${(error as Error).message}.`,
      { details: { path }, cause: error },
    );
  }
}

/** Whether the file has the table (a file of an older version may lack it). */
export function hasTable(db: SqliteDatabase, name: string): boolean {
  return (
    db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !==
    undefined
  );
}

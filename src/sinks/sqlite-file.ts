import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { makeError } from '../errors.js';

export type SqliteDatabase = Database.Database;

/**
 * Opens (or creates) a SQLite file for the archive or an import's state. WAL + NORMAL sync:
 * a committed transaction survives a killed process, and a kill mid-transaction leaves
 * nothing half-written.
 * @throws ARCHIVE_INVALID when the file exists but is not a SQLite database.
 */
export function openSqliteFile(path: string, what: string, options: { mustExist?: boolean } = {}): SqliteDatabase {
  if (options.mustExist && !existsSync(path)) throw makeError('ARCHIVE_INVALID', `There is no ${what} at ${JSON.stringify(path)}.`, { details: { path } });
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { fileMustExist: options.mustExist ?? false });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Another process (a second import on the same file) waits rather than failing at once.
    db.pragma('busy_timeout = 10000');
    return db;
  } catch (error) {
    db?.close();
    throw makeError('ARCHIVE_INVALID', `The ${what} ${JSON.stringify(path)} cannot be opened as a SQLite database: ${(error as Error).message}.`, { details: { path }, cause: error });
  }
}

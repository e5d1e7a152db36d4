/**
 * The `imap-connector/archive` entry: the embedded archive on its own, for hosts and scripts
 * that read or export an archive without the IMAP operations. SQLite is loaded when an archive
 * is first opened (node:sqlite, or better-sqlite3 on Node 20), never by importing this.
 */
export {
  Archive,
  type ArchiveStats,
  type FolderStats,
  type ArchivedMessage,
  type ArchivedRow,
  type ArchiveFilter,
  type VerifyResult,
} from './sinks/archive-db.js';
export { exportEml, exportMbox, mboxEntry, type ExportResult } from './sinks/archive-export.js';
export { sqliteDriver } from './sinks/sqlite-driver.js';

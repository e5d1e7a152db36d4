/**
 * The runtime a host loads from connector.json's `entry`: one function per operation,
 * each taking the connection config and an options object, each returning plain JSON.
 *
 * The operations that talk to a server load their modules on first call: a host that loads
 * the runtime (Node-RED, n8n, a bundle) pays for imapflow and the rest only when it connects,
 * and an operation loads only what it needs. What stays loaded here is cheap or synchronous
 * (validation, query parsing, errors, the archive's reader).
 */
import type * as TestConnection from './imap/test-connection.js';
import type * as TestQuery from './read/test-query.js';
import type * as Read from './read/read.js';
import type * as ReadStream from './read/read-stream.js';
import type * as Watch from './read/watch.js';
import type * as Discover from './read/discover.js';
import type * as Write from './write/write.js';
import type * as ApplyActions from './write/apply-actions.js';
import type * as RunBatch from './batch/run-batch.js';
import type * as BatchStatusModule from './batch/batch-status.js';
import type * as ImportJob from './import/import-job.js';

export type { TestConnectionResult } from './imap/test-connection.js';
/** Connects, logs in and lists folders; never throws. See imap/test-connection.ts. */
export const testConnection: typeof TestConnection.testConnection = async (...args) =>
  (await import('./imap/test-connection.js')).testConnection(...args);

export type { TestQueryResult, TestQueryOptions, FolderMatch } from './read/test-query.js';
/** Counts and samples what a query matches. See read/test-query.ts. */
export const testQuery: typeof TestQuery.testQuery = async (...args) =>
  (await import('./read/test-query.js')).testQuery(...args);

export type { ReadOptions, ReadResult } from './read/read.js';
/** One page of rows and the cursor of the next. See read/read.ts. */
export const read: typeof Read.read = async (...args) =>
  (await import('./read/read.js')).read(...args);

export type { StreamSelection } from './read/read-context.js';
export { resumeCursorOf } from './errors.js';
export type { StreamOptions } from './read/read-stream.js';
/** All rows of a query as an async iterator; returns the final cursor. See read/read-stream.ts. */
export const readStream: typeof ReadStream.readStream = async function* (...args) {
  return yield* (await import('./read/read-stream.js')).readStream(...args);
};

export type { WatchOptions } from './read/watch.js';
/** Rows as they arrive (IDLE, NOTIFY), until stopped. See read/watch.ts. */
export const watch: typeof Watch.watch = async (...args) =>
  (await import('./read/watch.js')).watch(...args);

export type { DiscoverOptions, DiscoverResult, Stream } from './read/discover.js';
/** The folders as streams, with their row schema. See read/discover.ts. */
export const discover: typeof Discover.discover = async (...args) =>
  (await import('./read/discover.js')).discover(...args);

export {
  partialWriteResults,
  type WriteResult,
  type WriteMessageResult,
} from './write/write-result.js';
/** APPENDs messages into a folder of a target connection, without duplicates. See write/write.ts. */
export const write: typeof Write.write = async (...args) =>
  (await import('./write/write.js')).write(...args);

export type { Actions, ApplyActionsResult, FolderActionResult } from './write/apply-actions.js';
/** Flags, moves, copies and deletes by UID. See write/apply-actions.ts. */
export const applyActions: typeof ApplyActions.applyActions = async (...args) =>
  (await import('./write/apply-actions.js')).applyActions(...args);

export type { BatchOptions, BatchInput, LocalBatchOptions } from './batch/run-batch.js';
/** Runs a batch of mailbox imports. See batch/run-batch.ts. */
export const runBatch: typeof RunBatch.runBatch = async (...args) =>
  (await import('./batch/run-batch.js')).runBatch(...args);
/** Checks a batch before it runs (preflight). See batch/run-batch.ts. */
export const checkBatch: typeof RunBatch.checkBatch = async (...args) =>
  (await import('./batch/run-batch.js')).checkBatch(...args);

export type { BatchStatus, RunSummary } from './batch/batch-status.js';
/** A batch's status from its records. See batch/batch-status.ts. */
export const batchStatus: typeof BatchStatusModule.batchStatus = async (...args) =>
  (await import('./batch/batch-status.js')).batchStatus(...args);
/** The mailboxes a batch's last run failed. See batch/batch-status.ts. */
export const failedMailboxKeys: typeof BatchStatusModule.failedMailboxKeys = async (...args) =>
  (await import('./batch/batch-status.js')).failedMailboxKeys(...args);

export { validateBatchProfile, type BatchProfile } from './batch/batch-profile.js';
export { checkMailboxCsv } from './batch/mailbox-list.js';
export type { BatchReport, BatchTotals } from './batch/batch-report.js';
export type { MailboxState, RunState, ReportedError } from './batch/mailbox-state.js';
export type { PreflightResult } from './batch/preflight.js';
export type { ImportOptions, ImportSpec } from './import/import-job.js';
/** Copies a mailbox into another account or the archive, resumably. See import/import-job.ts. */
export const runImport: typeof ImportJob.runImport = async (...args) =>
  (await import('./import/import-job.js')).runImport(...args);
export {
  partialImportResult,
  type ImportResult,
  type FolderImportResult,
  type ImportTotals,
} from './import/import-result.js';
export type { PostReadAction } from './import/post-read-action.js';
export type { DedupeMode } from './write/message-identity.js';
// The archive entry's exports, also here for hosts that import everything from one place.
export * from './archive.js';
export { parseQuery } from './query/parse.js';
export type { StructuredQuery, Criterion } from './query/structured-query.js';
export type { Row, Address, Attachment } from './rows/row.js';
export {
  validateConfig,
  type Config,
  type AuthMethod,
  type Security,
} from './config/validate-config.js';
export { loadConfig, type LoadConfigOptions } from './config/load-config.js';
export type { FolderInfo } from './imap/list-folders.js';
export type { OperationOptions, Logger, LogLevel } from './operation-options.js';
export {
  ConnectorError,
  ConfigError,
  AuthError,
  ConnectionError,
  TimeoutError,
  QueryError,
  RowError,
  StateError,
  WriteError,
  SetupError,
  ERROR_CODES,
  isConnectorError,
  type ErrorCode,
  type ErrorKind,
  type ConnectorErrorJson,
  type Issue,
  type TextPosition,
} from './errors.js';

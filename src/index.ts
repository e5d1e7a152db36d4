/**
 * The runtime a host loads from connector.json's `entry`: one function per operation,
 * each taking the connection config and an options object, each returning plain JSON.
 */
export { testConnection, type TestConnectionResult } from './imap/test-connection.js';
export {
  testQuery,
  type TestQueryResult,
  type TestQueryOptions,
  type FolderMatch,
} from './read/test-query.js';
export { read, type ReadOptions, type ReadResult } from './read/read.js';
export type { StreamSelection } from './read/read-context.js';
export { resumeCursorOf } from './errors.js';
export { readStream, type StreamOptions } from './read/read-stream.js';
export { watch, type WatchOptions } from './read/watch.js';
export {
  discover,
  type DiscoverOptions,
  type DiscoverResult,
  type Stream,
} from './read/discover.js';
export {
  write,
  partialWriteResults,
  type WriteResult,
  type WriteMessageResult,
} from './write/write.js';
export {
  applyActions,
  type Actions,
  type ApplyActionsResult,
  type FolderActionResult,
} from './write/apply-actions.js';
export {
  runBatch,
  checkBatch,
  type BatchOptions,
  type BatchInput,
  type LocalBatchOptions,
} from './batch/run-batch.js';
export {
  batchStatus,
  failedMailboxKeys,
  type BatchStatus,
  type RunSummary,
} from './batch/batch-status.js';
export { validateBatchProfile, type BatchProfile } from './batch/batch-profile.js';
export { checkMailboxCsv } from './batch/mailbox-list.js';
export type { BatchReport, BatchTotals } from './batch/batch-report.js';
export type { MailboxState, RunState, ReportedError } from './batch/mailbox-state.js';
export type { PreflightResult } from './batch/preflight.js';
export { runImport, type ImportOptions, type ImportSpec } from './import/import-job.js';
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

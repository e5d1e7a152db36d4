/**
 * The runtime a host loads from connector.json's `entry`: one function per operation,
 * each taking the connection config and an options object, each returning plain JSON.
 */
export { testConnection, type TestConnectionResult } from './imap/test-connection.js';
export { validateConfig, type Config, type AuthMethod, type Security } from './config/validate-config.js';
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
  ERROR_CODES,
  isConnectorError,
  type ErrorCode,
  type ErrorKind,
  type ConnectorErrorJson,
  type Issue,
  type TextPosition,
} from './errors.js';

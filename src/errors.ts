/**
 * The error taxonomy: every error the connector raises or returns to a host.
 *
 * A host branches on `code` (stable, UPPER_SNAKE), shows `message` and `hint`, and uses
 * `retryable` to decide whether a scheduled run should try again. `field` points into the
 * config (JSON Pointer), `position` into a query or CSV. Nothing here may hold a secret:
 * messages are built from fixed templates and `details` is redacted by the caller.
 */

/** Which class owns a code; also the CLI's exit-code group. */
export type ErrorKind =
  | 'config'
  | 'auth'
  | 'connection'
  | 'timeout'
  | 'query'
  | 'row'
  | 'state'
  | 'write'
  | 'setup'
  | 'internal';

interface CodeSpec {
  kind: ErrorKind;
  retryable: boolean;
  hint: string;
}

/** Every public code, with its class, retry advice and the default hint shown to a person. */
export const ERROR_CODES = {
  CONFIG_INVALID: {
    kind: 'config',
    retryable: false,
    hint: 'Fix the connection settings listed in the error and try again.',
  },
  USAGE_INVALID: {
    kind: 'config',
    retryable: false,
    hint: 'Check the command line: run the command with --help for its options.',
  },
  NOT_FOUND: {
    kind: 'config',
    retryable: false,
    hint: 'Check the name: nothing by that name is known here.',
  },
  AUTH_FAILED: {
    kind: 'auth',
    retryable: false,
    hint: 'Check the user name and password (or token); some providers need an app password.',
  },
  AUTHZ_FAILED: {
    kind: 'auth',
    retryable: false,
    hint: 'The login worked but may not open that mailbox: check the authorization identity and the master user rights.',
  },
  AUTH_METHOD_UNSUPPORTED: {
    kind: 'auth',
    retryable: false,
    hint: 'The server does not offer this authentication method; choose another auth method.',
  },
  LOGIN_DISABLED: {
    kind: 'auth',
    retryable: false,
    hint: 'The server refuses logins on this connection; use security "tls" or "starttls".',
  },
  TOKEN_REFRESH_FAILED: {
    kind: 'auth',
    retryable: false,
    hint: 'The OAuth2 token endpoint refused the refresh token; check client id, secret and token URL, or sign in again for a new refresh token.',
  },
  CONNECT_REFUSED: {
    kind: 'connection',
    retryable: true,
    hint: 'Nothing accepts connections on that host and port; check server, port and security.',
  },
  DNS_NOT_FOUND: {
    kind: 'connection',
    retryable: true,
    hint: 'The server name does not resolve; check the spelling of the server field.',
  },
  TLS_FAILED: {
    kind: 'connection',
    retryable: false,
    hint: 'Trust the server certificate with caFile, fix the certificate on the server, or set ignoreCertificateErrors if you accept the risk.',
  },
  CONNECTION_LOST: {
    kind: 'connection',
    retryable: true,
    hint: 'The connection dropped; run again, the read resumes from its cursor.',
  },
  SERVER_THROTTLED: {
    kind: 'connection',
    retryable: true,
    hint: 'The server is rate-limiting this account or refused one more session; wait, then run with fewer connections at once (maxConnectionsPerServer) or a larger delay between messages.',
  },
  PROTOCOL_ERROR: {
    kind: 'connection',
    retryable: false,
    hint: 'The server answered something that is not IMAP; check that port and security point at an IMAP service.',
  },
  COMMAND_REFUSED: {
    kind: 'connection',
    retryable: true,
    hint: 'The server refused a command (its answer is in details.responseText): often a passing problem on the server; run again later, and if it stays, check the server log.',
  },
  CONNECT_TIMEOUT: {
    kind: 'timeout',
    retryable: true,
    hint: 'The server did not answer in time; check server, port and security (a TLS port spoken to in plain text stays silent), or raise the timeout.',
  },
  SOCKET_TIMEOUT: {
    kind: 'timeout',
    retryable: true,
    hint: 'The server went silent during the session; run again or raise the timeout.',
  },
  LOCK_TIMEOUT: {
    kind: 'timeout',
    retryable: true,
    hint: 'The folder stayed busy; run again.',
  },
  OPERATION_TIMEOUT: {
    kind: 'timeout',
    retryable: true,
    hint: 'The operation did not finish within the timeout; raise the timeout or narrow the query.',
  },
  QUERY_INVALID: {
    kind: 'query',
    retryable: false,
    hint: 'Fix the query at the position given.',
  },
  QUERY_UNSUPPORTED: {
    kind: 'query',
    retryable: false,
    hint: 'The server lacks an extension the query needs; remove that part of the query.',
  },
  FOLDER_NOT_FOUND: {
    kind: 'query',
    retryable: false,
    hint: 'Check the folder name; test connection lists the folders the server has.',
  },
  SEARCH_REJECTED: {
    kind: 'query',
    retryable: false,
    hint: 'The server refused the search; simplify the query.',
  },
  MESSAGE_UNPARSABLE: {
    kind: 'row',
    retryable: false,
    hint: 'This one message is beyond what the connector takes apart (MIME nesting, part count, addresses) or its answer broke the IMAP grammar; its row keeps the fields that could be read, and the rest of the folder is not affected.',
  },
  MESSAGE_UNAVAILABLE: {
    kind: 'connection',
    retryable: true,
    hint: 'The server would not send this one message (it refused the FETCH or left items out, or the connection dropped each time it was read); the other messages are not affected. An import tries it again next run; a read gives its row with this error.',
  },
  PROJECTION_FAILED: {
    kind: 'row',
    retryable: false,
    hint: 'The JSONata expression failed on a row; check it against the row schema.',
  },
  JOB_BUSY: {
    kind: 'state',
    retryable: true,
    hint: 'Another run of the same job (same state or archive file) is still going; let it finish, or run again later.',
  },
  BATCH_STATE_LOST: {
    kind: 'state',
    retryable: true,
    hint: "The batch's records vanished from the queue's Redis (restarted without persistence, or keys evicted): run the batch again, it enqueues every mailbox not done and the destinations skip what they hold; give Redis appendonly yes and maxmemory-policy noeviction.",
  },
  CURSOR_INVALID: {
    kind: 'state',
    retryable: false,
    hint: 'The cursor does not belong to this connection and query; start without a cursor.',
  },
  UIDVALIDITY_CHANGED: {
    kind: 'state',
    retryable: false,
    hint: 'The server renumbered the folder; re-read it from the start.',
  },
  ARCHIVE_INVALID: {
    kind: 'state',
    retryable: false,
    hint: 'The file is not an imap-connector archive or import state, or it is damaged; check the path.',
  },
  ARCHIVE_DAMAGED: {
    kind: 'state',
    retryable: false,
    hint: 'Some archived messages no longer match their checksum: restore the archive from a backup, or import those folders again into a new archive. archive verify lists them.',
  },
  ARCHIVE_WRITE_FAILED: {
    kind: 'write',
    retryable: true,
    hint: 'The archive file could not be written (disk full, read-only, locked by another process); fix that and run again.',
  },
  DIRECTORY_FAILED: {
    kind: 'connection',
    retryable: true,
    hint: 'Check the LDAP URL, the bind DN and LDAP_BIND_PASSWORD, the search base and filter, and the directory certificate (caFile).',
  },
  PROVISIONING_FAILED: {
    kind: 'write',
    retryable: true,
    hint: 'The destination mailbox did not exist and the provisioning hook could not create it: check the hook (its exit code and message are in the error) and run the batch again.',
  },
  SQLITE_UNAVAILABLE: {
    kind: 'setup',
    retryable: false,
    hint: 'The archive and import state need SQLite: run on Node 22.13 or newer (node:sqlite built in), or install better-sqlite3 next to imap-connector (npm install better-sqlite3).',
  },
  QUEUE_UNAVAILABLE: {
    kind: 'connection',
    retryable: true,
    hint: 'The job queue (Redis) did not answer or refused the login; check --queue, its password (IMAP_CONNECTOR_QUEUE_PASSWORD) and that Redis is running.',
  },
  FILE_WRITE_FAILED: {
    kind: 'write',
    retryable: true,
    hint: 'A local file (output, state, archive or export) could not be written; fix the path, the permissions or the free space, and run again.',
  },
  APPEND_FAILED: {
    kind: 'write',
    retryable: true,
    hint: 'The server refused to store the message; see details.',
  },
  MESSAGE_TOO_LARGE: {
    kind: 'write',
    retryable: false,
    hint: 'The message is larger than the server accepts (APPENDLIMIT).',
  },
  OVER_QUOTA: {
    kind: 'write',
    retryable: false,
    hint: 'The target mailbox is full; free space or raise the quota.',
  },
  ABORTED: {
    kind: 'internal',
    retryable: false,
    hint: 'The operation was cancelled by the caller.',
  },
  INTERNAL: {
    kind: 'internal',
    retryable: false,
    hint: 'This is a bug in the connector; report it with the details.',
  },
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in a query or CSV text an error is (1-based). */
export interface TextPosition {
  line: number;
  column: number;
}

/** One problem of many, as reported by config validation. */
export interface Issue {
  field: string;
  message: string;
  /** Where in a text input (a CSV file) the problem is. */
  position?: TextPosition;
}

export type ErrorDetails = Record<string, unknown>;

export interface ConnectorErrorOptions {
  hint?: string;
  retryable?: boolean;
  field?: string;
  position?: TextPosition;
  details?: ErrorDetails;
  cause?: unknown;
}

/** The JSON a host receives for an error. `cause` and the stack never cross this line. */
export interface ConnectorErrorJson {
  code: ErrorCode;
  message: string;
  hint: string;
  retryable: boolean;
  field?: string;
  position?: TextPosition;
  details?: ErrorDetails;
}

/** Base of every error the connector raises. */
export class ConnectorError extends Error {
  override name: string = 'ConnectorError';
  readonly code: ErrorCode;
  readonly hint: string;
  readonly retryable: boolean;
  readonly field: string | undefined;
  readonly position: TextPosition | undefined;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: CodeSpec = ERROR_CODES[code];
    this.code = code;
    this.hint = options.hint ?? spec.hint;
    this.retryable = options.retryable ?? spec.retryable;
    this.field = options.field;
    this.position = options.position;
    this.details = options.details;
  }

  /** The class of this error's code: drives CLI exit codes. */
  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }

  /**
   * The same error with more details (a partial result, a resume cursor, the side it came
   * from): a new object of the same class, this one unchanged. The original is its cause.
   */
  withDetails(extra: ErrorDetails): ConnectorError {
    const copy = makeError(this.code, this.message, {
      hint: this.hint,
      retryable: this.retryable,
      ...(this.field !== undefined ? { field: this.field } : {}),
      ...(this.position !== undefined ? { position: this.position } : {}),
      details: { ...this.details, ...extra },
      cause: this,
    });
    if (this.stack !== undefined) copy.stack = this.stack;
    return copy;
  }

  toJSON(): ConnectorErrorJson {
    const json: ConnectorErrorJson = {
      code: this.code,
      message: this.message,
      hint: this.hint,
      retryable: this.retryable,
    };
    if (this.field !== undefined) json.field = this.field;
    if (this.position !== undefined) json.position = this.position;
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

/** Bad configuration, manifest or CSV. `details.issues` lists every problem found. */
export class ConfigError extends ConnectorError {
  override name = 'ConfigError';
  /** Every problem found, each naming its field; never just the first. */
  readonly issues: Issue[];

  /** From the issues found (the usual way), or like any ConnectorError (makeError, withDetails). */
  constructor(issues: Issue[], code?: ErrorCode);
  constructor(code: ErrorCode, message: string, options?: ConnectorErrorOptions);
  constructor(
    first: Issue[] | ErrorCode,
    second?: ErrorCode | string,
    options: ConnectorErrorOptions = {},
  ) {
    if (Array.isArray(first)) {
      const issues = first;
      const head = issues[0];
      const what = second === 'USAGE_INVALID' ? 'Invalid command line' : 'Invalid configuration';
      const summary =
        issues.length === 1 && head
          ? `${what}: ${head.message}`
          : `${what} (${issues.length} problems): ${issues.map((i) => i.message).join('; ')}`;
      super((second as ErrorCode | undefined) ?? 'CONFIG_INVALID', summary, {
        details: { issues },
        ...(head ? { field: head.field } : {}),
      });
      this.issues = issues;
      return;
    }
    super(first, second ?? '', options);
    const given = options.details?.issues;
    this.issues = Array.isArray(given)
      ? (given as Issue[])
      : options.field
        ? [{ field: options.field, message: second ?? '' }]
        : [];
  }
}

export class AuthError extends ConnectorError {
  override name = 'AuthError';
}

export class ConnectionError extends ConnectorError {
  override name = 'ConnectionError';
}

export class TimeoutError extends ConnectorError {
  override name = 'TimeoutError';
}

export class QueryError extends ConnectorError {
  override name = 'QueryError';
}

export class RowError extends ConnectorError {
  override name = 'RowError';
}

export class StateError extends ConnectorError {
  override name = 'StateError';
}

export class WriteError extends ConnectorError {
  override name = 'WriteError';
}

/** Something the machine lacks (SQLite for the archive): no retry helps until it is installed. */
export class SetupError extends ConnectorError {
  override name = 'SetupError';
}

const CLASS_BY_KIND = {
  config: ConfigError,
  auth: AuthError,
  connection: ConnectionError,
  timeout: TimeoutError,
  query: QueryError,
  row: RowError,
  state: StateError,
  write: WriteError,
  setup: SetupError,
  internal: ConnectorError,
} as const;

/** Builds the right subclass for a code, so callers need not know the table. */
export function makeError(
  code: ErrorCode,
  message: string,
  options: ConnectorErrorOptions = {},
): ConnectorError {
  const ErrorClass = CLASS_BY_KIND[ERROR_CODES[code].kind];
  return new ErrorClass(code, message, options);
}

/** True for a ConnectorError, also one from another copy of this module (cross-realm). */
export function isConnectorError(value: unknown): value is ConnectorError {
  if (value instanceof ConnectorError) return true;
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    Object.hasOwn(ERROR_CODES, code) &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  );
}

/**
 * The cursor a failed read or readStream says to resume from (details.cursor), if any. Here and
 * not beside the cursor's codec, so the CLI reports an error without loading the validators.
 */
export function resumeCursorOf(error: unknown): string | undefined {
  const cursor = isConnectorError(error) ? error.details?.cursor : undefined;
  return typeof cursor === 'string' ? cursor : undefined;
}

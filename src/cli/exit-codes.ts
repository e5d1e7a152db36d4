import { ERROR_CODES, type ErrorCode, type ErrorKind } from '../errors.js';

/** One exit code per error class, so scripts can branch without parsing output. */
export const EXIT_CODES: Record<ErrorKind | 'ok' | 'usage', number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 2,
  auth: 3,
  connection: 4,
  timeout: 5,
  query: 6,
  row: 7,
  state: 8,
  write: 9,
  setup: 10,
};

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  internal error
  2  invalid usage or configuration (CONFIG_INVALID)
  3  authentication (AUTH_FAILED, AUTHZ_FAILED, TOKEN_REFRESH_FAILED, ...)
  4  connection (CONNECT_REFUSED, DNS_NOT_FOUND, TLS_FAILED, PROTOCOL_ERROR, ...)
  5  timeout (CONNECT_TIMEOUT, SOCKET_TIMEOUT, ...)
  6  query (QUERY_INVALID, FOLDER_NOT_FOUND, SEARCH_REJECTED, ...)
  7  row projection (PROJECTION_FAILED)
  8  cursor or state (CURSOR_INVALID, UIDVALIDITY_CHANGED, ARCHIVE_INVALID, JOB_BUSY)
  9  write (APPEND_FAILED, OVER_QUOTA, MESSAGE_TOO_LARGE, FILE_WRITE_FAILED)
  10 setup: something this machine lacks (SQLITE_UNAVAILABLE: SQLite for the archive)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM; state saved, run again to continue
  141  the reader of the output went away (a closed pipe, "| head"); nothing was saved past
       what it provably got
When several things failed (mailboxes of a batch, messages of an import), the code is the class
of the worst: one a retry cannot fix before one it may, then internal, setup, config, auth,
state, query, write, row, connection, timeout.`;

/** The exit code of a result's code: 0 for OK, the code's class otherwise (internal for one this version does not know). */
export function exitCodeOfCode(code: string | undefined): number {
  if (code === undefined || code === 'OK') return EXIT_CODES.ok;
  return code in ERROR_CODES
    ? EXIT_CODES[ERROR_CODES[code as ErrorCode].kind]
    : EXIT_CODES.internal;
}

// Which class of failure needs a person first; among equals, non-retryable before retryable.
const KIND_ORDER: readonly ErrorKind[] = [
  'internal',
  'setup',
  'config',
  'auth',
  'state',
  'query',
  'write',
  'row',
  'connection',
  'timeout',
];

/**
 * The exit code of several failures (a batch's mailboxes, an import's messages): the class of
 * the worst one (see EXIT_CODE_HELP); 0 when none failed. Every command uses this one rule.
 */
export function worstExitCode(codes: Iterable<string | undefined>): number {
  let worst: { rank: number; kind: ErrorKind } | undefined;
  for (const code of codes) {
    if (code === undefined || code === 'OK' || code === 'SKIPPED') continue;
    const spec = code in ERROR_CODES ? ERROR_CODES[code as ErrorCode] : undefined;
    const kind: ErrorKind = spec?.kind ?? 'internal';
    const rank = (spec?.retryable ? KIND_ORDER.length : 0) + KIND_ORDER.indexOf(kind);
    if (!worst || rank < worst.rank) worst = { rank, kind };
  }
  return worst ? EXIT_CODES[worst.kind] : EXIT_CODES.ok;
}

/** Exit code of a reader that went away (EPIPE): 128 + SIGPIPE, as shells report it. */
export const EXIT_PIPE_CLOSED = 141;

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
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM; state saved, run again to continue`;

/** The exit code of a result's code: 0 for OK, the code's class otherwise (internal for one this version does not know). */
export function exitCodeOfCode(code: string | undefined): number {
  if (code === undefined || code === 'OK') return EXIT_CODES.ok;
  return code in ERROR_CODES
    ? EXIT_CODES[ERROR_CODES[code as ErrorCode].kind]
    : EXIT_CODES.internal;
}

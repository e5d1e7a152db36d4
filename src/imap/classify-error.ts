/**
 * imapflow, Node socket/DNS/TLS and server errors -> ConnectorError. The only module that
 * looks at their fields; everyone else sees codes. Server text is redacted before it is kept.
 */
import { isConnectorError, makeError, type ConnectorError, type ErrorCode } from '../errors.js';
import { redactText } from '../config/redact.js';

export interface ErrorContext {
  host: string;
  port: number;
  security: string;
  timeoutMs: number;
  /** Secret values to strip from any server or library text kept in details. */
  secrets: readonly string[];
}

interface RawError {
  response?: { attributes?: { section?: { value?: unknown }[] }[] };
  code?: string;
  message?: string;
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  reason?: string;
}

// Node / OpenSSL certificate verification codes, as a person would say them.
const CERTIFICATE_PROBLEMS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN:
    'the certificate chain ends in a self-signed certificate that is not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted authority',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the certificate is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the certificate is not trusted here',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  CERT_REVOKED: 'the certificate was revoked',
  CERT_SIGNATURE_FAILURE: 'the certificate signature is invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate was issued for another host name',
  HOSTNAME_MISMATCH: 'the certificate was issued for another host name',
};

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA']);
const LOST_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ECONNRESET',
  'EPIPE',
  'StateLogout',
]);
const CONNECT_TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
const PROTOCOL_CODES = new Set([
  'InvalidResponse',
  'UnexpectedTag',
  'ResponseProcessingFailed',
  'STARTTLS_INJECTION',
  'COMPRESS_TRAILING_DATA',
  'MAX_IMAP_NESTING_REACHED',
  'LineTooLarge',
  'LiteralTooLarge',
  'ResponseTooLarge',
]);

// Office 365: "Request is throttled. Suggested Backoff Time: 28000 milliseconds" (imapsync#272).
const BACKOFF = /Suggested Backoff Time:\s*(\d+)\s*milliseconds/i;

function where(ctx: ErrorContext): string {
  return `${ctx.host}:${ctx.port}`;
}

function serverDetails(raw: RawError, ctx: ErrorContext): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (raw.serverResponseCode) details.serverResponseCode = raw.serverResponseCode;
  if (raw.responseStatus) details.responseStatus = raw.responseStatus;
  if (raw.responseText) details.responseText = redactText(raw.responseText, ctx.secrets);
  return details;
}

function classifyAuth(raw: RawError, ctx: ErrorContext): ConnectorError | undefined {
  const text = `${raw.responseText ?? ''} ${raw.message ?? ''}`;
  const details = serverDetails(raw, ctx);
  if (raw.serverResponseCode === 'AUTHORIZATIONFAILED') {
    return makeError(
      'AUTHZ_FAILED',
      `The server accepted the credentials but refused to open the requested mailbox on ${where(ctx)}.`,
      { details, cause: raw },
    );
  }
  if (/Login is disabled/i.test(text) || raw.serverResponseCode === 'PRIVACYREQUIRED') {
    return makeError(
      'LOGIN_DISABLED',
      `The server ${where(ctx)} does not allow logins on this connection.`,
      { details, cause: raw },
    );
  }
  if (/No matching authentication method|Unsupported authentication/i.test(text)) {
    return makeError(
      'AUTH_METHOD_UNSUPPORTED',
      `The server ${where(ctx)} offers no authentication method that fits this auth method.`,
      { details, cause: raw },
    );
  }
  // Office 365 reports bad credentials or missing rights this way after "success" (imapsync#411).
  if (
    raw.authenticationFailed ||
    raw.serverResponseCode === 'AUTHENTICATIONFAILED' ||
    /authenticated but not connected/i.test(text)
  ) {
    return makeError('AUTH_FAILED', `The server ${where(ctx)} rejected the login.`, {
      details,
      cause: raw,
    });
  }
  return undefined;
}

function classifyTls(raw: RawError, ctx: ErrorContext): ConnectorError | undefined {
  const code = raw.code ?? raw.reason ?? '';
  const problem = CERTIFICATE_PROBLEMS[code];
  if (problem) {
    return makeError(
      'TLS_FAILED',
      `TLS certificate of ${where(ctx)} was rejected: ${problem} (${code}).`,
      {
        details: { certificateError: code },
        cause: raw,
      },
    );
  }
  if (raw.tlsFailed || /STARTTLS/.test(raw.message ?? '')) {
    return makeError(
      'TLS_FAILED',
      `The server ${where(ctx)} does not offer STARTTLS, which security "starttls" requires.`,
      {
        hint: 'This port does not offer STARTTLS: use security "tls" (usually port 993), or "none" only on a network you trust.',
        details: { certificateError: null },
        cause: raw,
      },
    );
  }
  if (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    /SSL routines|wrong version number/i.test(raw.message ?? '')
  ) {
    return makeError(
      'TLS_FAILED',
      `TLS handshake with ${where(ctx)} failed (${code || 'handshake error'}); the port may not speak TLS.`,
      {
        details: { tlsError: code || null },
        cause: raw,
      },
    );
  }
  return undefined;
}

function byCode(raw: RawError, ctx: ErrorContext): ConnectorError | undefined {
  const code = raw.code ?? '';
  const simple = (
    errorCode: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ): ConnectorError =>
    makeError(errorCode, message, {
      details: { ...details, ...(code ? { nodeCode: code } : {}) },
      cause: raw,
    });
  if (code === 'ECONNREFUSED')
    return simple('CONNECT_REFUSED', `Connection to ${where(ctx)} was refused.`);
  if (DNS_CODES.has(code)) {
    return makeError(
      'DNS_NOT_FOUND',
      `The server name ${JSON.stringify(ctx.host)} could not be resolved.`,
      {
        retryable: code === 'EAI_AGAIN',
        details: { nodeCode: code },
        cause: raw,
      },
    );
  }
  if (CONNECT_TIMEOUT_CODES.has(code)) {
    return simple(
      'CONNECT_TIMEOUT',
      `No IMAP greeting from ${where(ctx)} within ${ctx.timeoutMs} ms.`,
      { timeoutMs: ctx.timeoutMs },
    );
  }
  if (code === 'ETIMEOUT')
    return simple(
      'SOCKET_TIMEOUT',
      `The server ${where(ctx)} was silent for ${ctx.timeoutMs} ms.`,
      { timeoutMs: ctx.timeoutMs },
    );
  if (code === 'LockTimeout')
    return simple('LOCK_TIMEOUT', 'The folder could not be opened in time.');
  if (code === 'ETHROTTLE')
    return simple('SERVER_THROTTLED', `The server ${where(ctx)} is throttling this account.`);
  if (LOST_CODES.has(code))
    return simple('CONNECTION_LOST', `The connection to ${where(ctx)} was closed unexpectedly.`);
  if (PROTOCOL_CODES.has(code) || code.startsWith('ParserError')) {
    return simple(
      'PROTOCOL_ERROR',
      `The server ${where(ctx)} sent a response that is not valid IMAP.`,
    );
  }
  return undefined;
}

// RFC 5530 codes of a temporary refusal: LIMIT (Dovecot's mail_max_userip_connections at
// LOGIN), UNAVAILABLE (a subsystem is down), plus Gmail's bandwidth OVERQUOTA and THROTTLED.
const BUSY_CODES = new Set(['THROTTLED', 'OVERQUOTA', 'LIMIT', 'UNAVAILABLE']);

// The words servers use when they refuse one more session: Gmail's "[ALERT] Too many
// simultaneous connections", Dovecot's "Maximum number of connections from user+IP exceeded",
// a BYE greeting of "Too many connections from your IP".
const TOO_MANY_SESSIONS =
  /too many (simultaneous |concurrent |open )?(connections|sessions)|maximum number of connections|connection limit/i;

function classifyThrottle(raw: RawError, ctx: ErrorContext): ConnectorError | undefined {
  // What the server said: a refused command's text, and the BYE that ended the session
  // (imapflow keeps that in `reason`).
  const text = raw.responseText ?? '';
  const bye = raw.reason ?? '';
  const said = `${text}\n${bye}`;
  const tooMany = TOO_MANY_SESSIONS.test(said);
  const throttled =
    tooMany ||
    /throttl/i.test(said) ||
    BUSY_CODES.has(raw.serverResponseCode ?? '') ||
    /^\[(THROTTLED|LIMIT|UNAVAILABLE)\]/i.test(bye);
  if (!throttled) return undefined;
  const backoff = BACKOFF.exec(text) ?? BACKOFF.exec(bye);
  const message = tooMany
    ? `The server ${where(ctx)} refused one more session: too many connections.`
    : raw.serverResponseCode === 'UNAVAILABLE'
      ? `The server ${where(ctx)} is temporarily unavailable.`
      : `The server ${where(ctx)} is throttling this account.`;
  return makeError('SERVER_THROTTLED', message, {
    details: {
      ...serverDetails(raw, ctx),
      // Which server: a batch lowers the connections it opens to this one.
      host: ctx.host,
      ...(bye ? { byeText: redactText(bye, ctx.secrets) } : {}),
      ...(tooMany ? { tooManyConnections: true } : {}),
      ...(backoff ? { retryAfterMs: Number(backoff[1]) } : {}),
    },
    cause: raw,
  });
}

/**
 * The response code of a refused command (RFC 3501 section 7.1): imapflow sets
 * serverResponseCode for some answers only; for the rest, e.g. NO [BADCHARSET (US-ASCII)] or
 * NO [THROTTLED] to a command run through exec(), it is the first section of the response.
 */
export function responseCodeOf(error: unknown): string | undefined {
  const raw = (typeof error === 'object' && error !== null ? error : {}) as RawError;
  if (raw.serverResponseCode) return raw.serverResponseCode.toUpperCase();
  const value = raw.response?.attributes?.[0]?.section?.[0]?.value;
  if (typeof value === 'string' && value !== '') return value.toUpperCase();
  // The bulk FETCH and APPEND paths keep the tagged line's text as it came: "[CODE] text".
  return /^\[([A-Za-z0-9.-]+)[\] ]/.exec(raw.responseText ?? '')?.[1]?.toUpperCase();
}

/**
 * A command the server refused (tagged NO or BAD) for no reason classified above: the folder
 * is gone (RFC 5530 NONEXISTENT; TRYCREATE), or the server says no (COMMAND_REFUSED, with its
 * words). Never INTERNAL: the connector did what it should, the server declined.
 */
function classifyRefusal(raw: RawError, ctx: ErrorContext): ConnectorError | undefined {
  const status = raw.responseStatus?.toUpperCase();
  if (status !== 'NO' && status !== 'BAD') return undefined;
  const details = serverDetails(raw, ctx);
  if (raw.serverResponseCode === 'NONEXISTENT' || raw.serverResponseCode === 'TRYCREATE')
    return makeError('FOLDER_NOT_FOUND', `The folder no longer exists on ${where(ctx)}.`, {
      details,
      cause: raw,
    });
  return makeError('COMMAND_REFUSED', `The server ${where(ctx)} refused a command (${status}).`, {
    // BAD says the command itself was wrong: the same command will be refused again.
    retryable: status === 'NO',
    details,
    cause: raw,
  });
}

/** Any thrown value -> ConnectorError; unknown ones become INTERNAL with the original as cause. */
export function classifyError(error: unknown, ctx: ErrorContext): ConnectorError {
  if (isConnectorError(error)) return error;
  const given: RawError =
    typeof error === 'object' && error !== null ? (error as RawError) : { message: String(error) };
  const responseCode = responseCodeOf(given);
  const raw: RawError =
    responseCode && !given.serverResponseCode
      ? { ...given, serverResponseCode: responseCode, message: given.message ?? '' }
      : given;
  const classified =
    classifyThrottle(raw, ctx) ??
    classifyAuth(raw, ctx) ??
    classifyTls(raw, ctx) ??
    byCode(raw, ctx) ??
    classifyRefusal(raw, ctx) ??
    makeError(
      'INTERNAL',
      `Unexpected error talking to ${where(ctx)}: ${redactText(raw.message ?? 'unknown error', ctx.secrets)}`,
      {
        details: { ...serverDetails(raw, ctx), ...(raw.code ? { nodeCode: raw.code } : {}) },
        cause: error,
      },
    );
  // The classifiers saw a copy with the response code filled in: the cause is what was thrown.
  if (classified.cause === raw && raw !== given)
    Object.defineProperty(classified, 'cause', { value: error });
  return classified;
}

// Response codes (RFC 5530) of a refusal that concerns the messages named, not the session or
// the folder: a FETCH refused with one of these (or none) is narrowed down to its message.
const MESSAGE_LEVEL_CODES = new Set([
  'PARSE',
  'CORRUPTION',
  'EXPUNGEISSUED',
  'CANNOT',
  'SERVERBUG',
]);

/**
 * Whether a failed command was refused (tagged NO or BAD) for reasons that may lie in the
 * messages it named: no throttling, no folder or permission problem, no lost session.
 */
export function isMessageRefusal(error: unknown): boolean {
  if (isConnectorError(error)) return false;
  const raw = (typeof error === 'object' && error !== null ? error : {}) as RawError;
  const status = raw.responseStatus?.toUpperCase();
  if (status !== 'NO' && status !== 'BAD') return false;
  const code = responseCodeOf(raw);
  if (code !== undefined && !MESSAGE_LEVEL_CODES.has(code)) return false;
  return !classifyThrottle(raw, { host: '', port: 0, security: '', timeoutMs: 0, secrets: [] });
}

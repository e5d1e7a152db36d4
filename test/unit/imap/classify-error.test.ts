import { describe, expect, it } from 'vitest';
import { makeError } from '../../../src/errors.js';
import { classifyError, type ErrorContext } from '../../../src/imap/classify-error.js';

const ctx: ErrorContext = {
  host: 'mail.example.com',
  port: 993,
  security: 'tls',
  timeoutMs: 5000,
  secrets: ['hunter2-secret'],
};
const err = (fields: Record<string, unknown>): Error =>
  Object.assign(new Error(String(fields.message ?? 'x')), fields);

// One row per entry of the taxonomy table (STYLE 2.6): input error -> code, retryable.
const TABLE: [string, unknown, string, boolean][] = [
  ['ECONNREFUSED', err({ code: 'ECONNREFUSED' }), 'CONNECT_REFUSED', true],
  ['ENOTFOUND', err({ code: 'ENOTFOUND' }), 'DNS_NOT_FOUND', false],
  ['EAI_AGAIN (temporary DNS failure)', err({ code: 'EAI_AGAIN' }), 'DNS_NOT_FOUND', true],
  ['self-signed certificate', err({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'TLS_FAILED', false],
  ['expired certificate', err({ code: 'CERT_HAS_EXPIRED' }), 'TLS_FAILED', false],
  ['host name mismatch', err({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'TLS_FAILED', false],
  ['TLS to a plain port', err({ code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'TLS_FAILED', false],
  [
    'STARTTLS required but missing',
    err({ message: 'Server does not support STARTTLS', tlsFailed: true }),
    'TLS_FAILED',
    false,
  ],
  ['imapflow CONNECT_TIMEOUT', err({ code: 'CONNECT_TIMEOUT' }), 'CONNECT_TIMEOUT', true],
  ['imapflow GREETING_TIMEOUT', err({ code: 'GREETING_TIMEOUT' }), 'CONNECT_TIMEOUT', true],
  ['imapflow UPGRADE_TIMEOUT', err({ code: 'UPGRADE_TIMEOUT' }), 'CONNECT_TIMEOUT', true],
  ['socket inactivity', err({ code: 'ETIMEOUT' }), 'SOCKET_TIMEOUT', true],
  ['lock timeout', err({ code: 'LockTimeout' }), 'LOCK_TIMEOUT', true],
  [
    'wrong password',
    err({
      authenticationFailed: true,
      serverResponseCode: 'AUTHENTICATIONFAILED',
      responseText: 'Authentication failed.',
    }),
    'AUTH_FAILED',
    false,
  ],
  [
    'authorization refused (RFC 5530)',
    err({ authenticationFailed: true, serverResponseCode: 'AUTHORIZATIONFAILED' }),
    'AUTHZ_FAILED',
    false,
  ],
  [
    'Office 365 authenticated but not connected',
    err({ responseText: 'User is authenticated but not connected.' }),
    'AUTH_FAILED',
    false,
  ],
  ['LOGINDISABLED', err({ message: 'Login is disabled' }), 'LOGIN_DISABLED', false],
  [
    'no auth method',
    err({ message: 'No matching authentication method' }),
    'AUTH_METHOD_UNSUPPORTED',
    false,
  ],
  [
    'Office 365 throttling',
    err({ responseText: 'Request is throttled. Suggested Backoff Time: 28000 milliseconds' }),
    'SERVER_THROTTLED',
    true,
  ],
  ['Gmail THROTTLED', err({ serverResponseCode: 'THROTTLED' }), 'SERVER_THROTTLED', true],
  ['imapflow ETHROTTLE', err({ code: 'ETHROTTLE' }), 'SERVER_THROTTLED', true],
  [
    "Dovecot's NO [LIMIT] to LOGIN over mail_max_userip_connections",
    err({
      serverResponseCode: 'LIMIT',
      responseStatus: 'NO',
      authenticationFailed: true,
      responseText: 'Maximum number of connections from user+IP exceeded',
    }),
    'SERVER_THROTTLED',
    true,
  ],
  [
    "Gmail's NO [ALERT] Too many simultaneous connections",
    err({
      serverResponseCode: 'ALERT',
      authenticationFailed: true,
      responseText: 'Too many simultaneous connections. (Failure)',
    }),
    'SERVER_THROTTLED',
    true,
  ],
  [
    'a BYE greeting of too many connections',
    err({ code: 'ClosedAfterConnectText', reason: 'Too many connections from your IP' }),
    'SERVER_THROTTLED',
    true,
  ],
  [
    'NO [UNAVAILABLE]',
    err({ serverResponseCode: 'UNAVAILABLE', authenticationFailed: true }),
    'SERVER_THROTTLED',
    true,
  ],
  [
    'a wrong password is still one',
    err({ authenticationFailed: true, responseText: 'Too many login failures' }),
    'AUTH_FAILED',
    false,
  ],
  ['NoConnection', err({ code: 'NoConnection' }), 'CONNECTION_LOST', true],
  ['ECONNRESET', err({ code: 'ECONNRESET' }), 'CONNECTION_LOST', true],
  ['EConnectionClosed', err({ code: 'EConnectionClosed' }), 'CONNECTION_LOST', true],
  ['ClosedAfterConnectTLS', err({ code: 'ClosedAfterConnectTLS' }), 'CONNECTION_LOST', true],
  ['InvalidResponse', err({ code: 'InvalidResponse' }), 'PROTOCOL_ERROR', false],
  ['UnexpectedTag', err({ code: 'UnexpectedTag' }), 'PROTOCOL_ERROR', false],
  ['parser error', err({ code: 'ParserError11' }), 'PROTOCOL_ERROR', false],
  ['STARTTLS injection', err({ code: 'STARTTLS_INJECTION' }), 'PROTOCOL_ERROR', false],
  [
    'a refused command (NO), e.g. a FETCH the server cannot serve',
    err({ responseStatus: 'NO', responseText: '[SERVERBUG] Internal error occurred' }),
    'COMMAND_REFUSED',
    true,
  ],
  [
    'a command the server calls wrong (BAD): the same command is refused again',
    err({ responseStatus: 'BAD', responseText: 'Error in IMAP command' }),
    'COMMAND_REFUSED',
    false,
  ],
  [
    'a folder deleted meanwhile (NO [NONEXISTENT])',
    err({ responseStatus: 'NO', responseText: '[NONEXISTENT] Mailbox does not exist' }),
    'FOLDER_NOT_FOUND',
    false,
  ],
  ['anything else', err({ message: 'weird' }), 'INTERNAL', false],
  ['a thrown string', 'boom', 'INTERNAL', false],
];

describe('classifyError', () => {
  it.each(TABLE)('maps %s', (_name, input, code, retryable) => {
    const error = classifyError(input, ctx);
    expect(error.toJSON()).toMatchObject({ code, retryable });
    expect(error.cause).toBe(input);
  });

  it('keeps a ConnectorError as it is', () => {
    const known = makeError('ABORTED', 'x');
    expect(classifyError(known, ctx)).toBe(known);
  });

  it('names the certificate problem for a person', () => {
    expect(classifyError(err({ code: 'CERT_HAS_EXPIRED' }), ctx).message).toBe(
      'TLS certificate of mail.example.com:993 was rejected: the certificate has expired (CERT_HAS_EXPIRED).',
    );
  });

  it('tells a person to change security, not certificates, when STARTTLS is missing', () => {
    const error = classifyError(
      err({ message: 'Server does not support STARTTLS', tlsFailed: true }),
      ctx,
    );
    expect(error.hint).toMatch(/does not offer STARTTLS: use security "tls"/);
    expect(error.hint).not.toMatch(/certificate|caFile/);
  });

  it('finds the response code imapflow leaves in the response of an exec()uted command', () => {
    const raw = err({
      responseStatus: 'NO',
      responseText: 'slow down',
      response: { attributes: [{ section: [{ value: 'THROTTLED' }] }] },
    });
    expect(classifyError(raw, ctx)).toMatchObject({ code: 'SERVER_THROTTLED', retryable: true });
  });

  it('carries the suggested backoff of a throttled server', () => {
    expect(
      classifyError(
        err({ responseText: 'Request is throttled. Suggested Backoff Time: 28000 milliseconds' }),
        ctx,
      ).details,
    ).toMatchObject({ retryAfterMs: 28000 });
  });

  it('redacts secrets from server text and unknown error messages', () => {
    const auth = classifyError(
      err({ authenticationFailed: true, responseText: 'bad password hunter2-secret' }),
      ctx,
    );
    const internal = classifyError(err({ message: 'failed with hunter2-secret' }), ctx);
    expect(
      JSON.stringify([auth.toJSON(), internal.toJSON(), auth.message, internal.message]),
    ).not.toContain('hunter2-secret');
  });
});

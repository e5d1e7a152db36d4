import { describe, expect, it } from 'vitest';
import type { Session } from '../../../src/imap/open-session.js';
import { toAppendError } from '../../../src/imap/append.js';
import { classifyError } from '../../../src/imap/classify-error.js';

function session(capabilities: [string, unknown][] = []): Session {
  const errorContext = {
    host: 'imap.example.com',
    port: 993,
    security: 'tls',
    timeoutMs: 1000,
    secrets: ['s3cret-pw'],
  };
  return {
    client: { capabilities: new Map(capabilities) },
    secrets: ['s3cret-pw'],
    fault: () => undefined,
    asError: (error: unknown) => classifyError(error, errorContext),
    errorContext,
  } as unknown as Session;
}

const refusal = (serverResponseCode: string | undefined, responseText: string) => ({
  responseStatus: 'NO',
  serverResponseCode,
  responseText,
});

describe('toAppendError', () => {
  it.each([
    [refusal('APPENDLIMIT', 'Message content too big'), 'MESSAGE_TOO_LARGE'],
    [refusal('TOOBIG', 'Too big'), 'MESSAGE_TOO_LARGE'],
    [
      refusal(
        'LIMIT',
        'Mail size is larger than the maximum size allowed by server configuration (0.001 + 0.000 secs).',
      ),
      'MESSAGE_TOO_LARGE',
    ],
    [refusal('OVERQUOTA', 'Quota exceeded (mailbox for user is full)'), 'OVER_QUOTA'],
    [refusal(undefined, 'Mailbox quota exceeded'), 'OVER_QUOTA'],
    [refusal('CANNOT', 'Invalid mailbox name'), 'APPEND_FAILED'],
  ])('maps %j to %s', (raw, code) => {
    expect(toAppendError(raw, session(), 'INBOX', 5000).code).toBe(code);
  });

  it('names the APPENDLIMIT the server announced, and keeps the server words without timings or secrets', () => {
    expect(
      toAppendError(refusal('APPENDLIMIT', 'x'), session([['APPENDLIMIT', 1000]]), 'INBOX', 5000)
        .message,
    ).toBe('The message (5000 bytes) is larger than "INBOX" accepts (APPENDLIMIT 1000).');
    const error = toAppendError(
      refusal('CANNOT', 'Refused for s3cret-pw (0.001 + 0.000 + 0.002 secs).'),
      session(),
      'Archiv',
      10,
    );
    expect(error.message).toBe(
      'The server refused to store a message in "Archiv": Refused for [REDACTED].',
    );
    expect(error.details).toMatchObject({
      folder: 'Archiv',
      size: 10,
      serverResponseCode: 'CANNOT',
    });
  });

  it('treats a dropped connection as a connection error, not a refusal', () => {
    expect(
      toAppendError(
        Object.assign(new Error('Connection not available'), { code: 'NoConnection' }),
        session(),
        'INBOX',
        1,
      ).code,
    ).toBe('CONNECTION_LOST');
  });
});

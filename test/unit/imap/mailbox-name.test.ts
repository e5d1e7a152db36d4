import { describe, expect, it } from 'vitest';
import { encodeMailboxName, imapDateTime } from '../../../src/imap/mailbox-name.js';

describe('encodeMailboxName (modified UTF-7, RFC 3501 section 5.1.3)', () => {
  it('encodes the RFC example and names from the test corpus', () => {
    expect(encodeMailboxName('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(encodeMailboxName('Überweisungen')).toBe('&ANw-berweisungen');
    expect(encodeMailboxName('Entwürfe/Ablage')).toBe('Entw&APw-rfe/Ablage');
  });

  it('escapes & and leaves printable ASCII alone', () => {
    expect(encodeMailboxName('Tom & Jerry')).toBe('Tom &- Jerry');
    expect(encodeMailboxName('INBOX/Sent Items')).toBe('INBOX/Sent Items');
  });
});

describe('imapDateTime', () => {
  it('writes RFC 3501 date-time in UTC', () => {
    expect(imapDateTime(new Date('2024-01-02T03:04:05Z'))).toBe('02-Jan-2024 03:04:05 +0000');
  });
});

import { describe, expect, it } from 'vitest';
import { parseServer } from '../../../src/config/parse-server.js';
import type { Issue } from '../../../src/errors.js';

describe('parseServer', () => {
  it.each([
    ['mail.example.com', { host: 'mail.example.com' }],
    ['  mail.example.com  ', { host: 'mail.example.com' }],
    ['192.0.2.10', { host: '192.0.2.10' }],
    ['::1', { host: '::1' }],
    ['[2001:db8::1]:1993', { host: '2001:db8::1', port: 1993 }],
    ['mail.example.com:1143', { host: 'mail.example.com', port: 1143 }],
    ['imap://mail.example.com', { host: 'mail.example.com', port: 143, security: 'starttls' }],
    ['imaps://mail.example.com', { host: 'mail.example.com', port: 993, security: 'tls' }],
    ['IMAPS://mail.example.com:10993/', { host: 'mail.example.com', port: 10993, security: 'tls' }],
    ['imaps://[::1]:993', { host: '::1', port: 993, security: 'tls' }],
  ])('reads %j', (input, expected) => {
    const issues: Issue[] = [];
    expect(parseServer(input, issues)).toEqual(expected);
    expect(issues).toEqual([]);
  });

  it.each([
    ['http://mail.example.com', 'must start with imap:// or imaps://'],
    ['imaps://u:p@mail.example.com', 'must not contain a user name or password'],
    ['imaps://mail.example.com/INBOX', 'must not name a folder'],
    ['mail_server', 'must be a host name'],
    ['-bad.example.com', 'must be a host name'],
    ['a b', 'must be a host name'],
  ])('rejects %j', (input, message) => {
    const issues: Issue[] = [];
    parseServer(input, issues);
    expect(issues.map((i) => i.message).join(' ')).toContain(message);
    expect(issues.every((i) => i.field === '/server')).toBe(true);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate-config.js';
import { ConfigError } from '../../../src/errors.js';

const dir = new URL('../../fixtures/config/', import.meta.url);
const load = (path: string): unknown => JSON.parse(readFileSync(new URL(path, dir), 'utf8'));

function issuesOf(input: unknown): { field: string; message: string }[] {
  try {
    validateConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    return (error as ConfigError).issues;
  }
  throw new Error('expected the config to be rejected');
}

const VALID: Record<string, Record<string, unknown>> = {
  'minimal.json': {
    host: 'mail.example.com',
    port: 993,
    security: 'tls',
    authMethod: 'password',
    timeout: 30000,
    pageSize: 500,
    maxQueueDepth: 100,
    delayBetweenMessagesMs: 0,
    ignoreCertificateErrors: false,
    isSource: true,
    isTarget: false,
    isActive: true,
    dateTimeFormat: 'ISO8601',
    foldersInclude: [],
    foldersExclude: [],
  },
  'imap-url.json': { host: 'mail.example.com', port: 1143, security: 'starttls' },
  'master-user.json': {
    host: 'mail.example.com',
    port: 993,
    security: 'tls',
    authorizationIdentity: 'bob@example.com',
    startDate: '2024-01-01',
    endDate: '2024-12-31',
    delayBetweenMessagesMs: 500,
    foldersInclude: ['INBOX', 'Archive/*'],
  },
  'oauth2-refresh.json': {
    host: 'outlook.office365.com',
    port: 143,
    security: 'starttls',
    timeout: 5000,
  },
};

// file -> every field that must be reported (sorted); one file per bad case.
const INVALID: Record<string, string[]> = {
  'port-out-of-range.json': ['/port'],
  'missing-server-and-user.json': ['/server', '/username'],
  'bad-security.json': ['/security'],
  'master-without-identity.json': ['/authorizationIdentity'],
  'oauth2-without-token.json': ['/'],
  'bad-dates.json': ['/endDate', '/startDate'],
  'end-before-start.json': ['/endDate'],
  'bad-delay.json': ['/delayBetweenMessages'],
  'url-with-credentials.json': ['/server'],
  'url-port-conflict.json': ['/port', '/security'],
  'unknown-field.json': ['/pasword'],
  'neither-source-nor-target.json': ['/isSource'],
  'bad-host.json': ['/server'],
  'wrong-types.json': ['/foldersInclude', '/ignoreCertificateErrors', '/password', '/timeout'],
  'missing-ca-file.json': ['/caFile'],
  'delay-too-long-as-text.json': ['/delayBetweenMessages'],
  'start-date-hour-25.json': ['/startDate'],
  'ca-file-directory.json': ['/caFile'],
  'ca-file-device.json': ['/caFile'],
};

describe('validateConfig', () => {
  it('has a table row for every fixture file', () => {
    expect(readdirSync(new URL('valid/', dir)).sort()).toEqual(Object.keys(VALID).sort());
    expect(readdirSync(new URL('invalid/', dir)).sort()).toEqual(Object.keys(INVALID).sort());
  });

  it.each(Object.entries(VALID))(
    'accepts %s and yields the typed, defaulted value',
    (file, expected) => {
      expect(validateConfig(load(`valid/${file}`))).toMatchObject(expected);
    },
  );

  it.each(Object.entries(INVALID))('rejects %s naming exactly the bad fields', (file, fields) => {
    const issues = issuesOf(load(`invalid/${file}`));
    expect(issues.map((issue) => issue.field).sort()).toEqual(fields);
    for (const issue of issues) expect(issue.message.length).toBeGreaterThan(10);
  });

  it('says what is expected and what it got, in one sentence per field', () => {
    const messages = issuesOf({
      server: 'mail.example.com',
      port: 70000,
      username: 'a',
      password: 'p',
      security: 'ssl',
      pasword: 'x',
    }).map((i) => i.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'port must be 1-65535, got 70000',
        'security must be one of tls, starttls, none, got "ssl"',
        'pasword is not a known field (did you mean "password"?)',
      ]),
    );
  });

  it('never echoes a secret value back, not even an invalid one', () => {
    const issues = issuesOf({ server: 'mail.example.com', username: 'a', password: 98765432 });
    expect(JSON.stringify(issues)).not.toContain('98765432');
    const url = issuesOf({
      server: 'imaps://alice:hunter22@mail.example.com',
      username: 'a',
      password: 'p',
    });
    expect(JSON.stringify(url)).not.toContain('hunter22');
  });

  it('derives the port from security when none is given (993 for tls, 143 otherwise)', () => {
    const base = { server: 'mail.example.com', username: 'a', password: 'p' };
    expect(validateConfig({ ...base, security: 'none' }).port).toBe(143);
    expect(validateConfig({ ...base, security: 'starttls' }).port).toBe(143);
    expect(validateConfig(base).port).toBe(993);
    expect(validateConfig({ ...base, server: 'mail.example.com:2993' }).port).toBe(2993);
  });

  it('rejects a value that is not an object', () => {
    expect(issuesOf([1, 2])).toEqual([
      { field: '/', message: 'the connection config must be a JSON object' },
    ]);
    expect(issuesOf(null)[0]!.field).toBe('/');
  });

  it("does not modify the caller's object", () => {
    const input = { server: 'imaps://mail.example.com', username: 'a', password: 'p' };
    validateConfig(input);
    expect(input).toEqual({ server: 'imaps://mail.example.com', username: 'a', password: 'p' });
  });

  it('refuses a config nested 100,000 levels deep with CONFIG_INVALID, not a stack overflow', () => {
    let deep: Record<string, unknown> = {};
    const root = { server: 'mail.example.com', username: 'ann', password: 'x', extra: deep };
    for (let i = 0; i < 100_000; i++) {
      const next = {};
      deep.a = next;
      deep = next;
    }
    expect(issuesOf(root)).toEqual([
      { field: '/extra/a/a', message: expect.stringContaining('nested more than 256 levels') },
    ]);
  });

  it('accepts full ISO timestamps for dates and keeps the day', () => {
    const config = validateConfig({
      server: 'mail.example.com',
      username: 'ann',
      password: 'x',
      startDate: '2024-02-29T23:59:59+01:00',
      endDate: '20240301',
    });
    expect([config.startDate, config.endDate]).toEqual(['2024-02-29', '2024-03-01']);
  });
});

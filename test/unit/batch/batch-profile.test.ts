import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBatchProfile, validateBatchProfile } from '../../../src/batch/batch-profile.js';
import { isConnectorError } from '../../../src/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

const GOOD = {
  name: 'nightly',
  source: { server: 'imap.example.com' },
  destination: { archive: 'mail.archive' },
  mailboxes: { csv: 'users.csv' },
};

function fieldsOf(profile: unknown): string[] {
  try {
    validateBatchProfile(profile, '/base');
  } catch (error) {
    if (isConnectorError(error) && error.code === 'CONFIG_INVALID')
      return (error.details as { issues: { field: string; message: string }[] }).issues.map(
        (i) => `${i.field}: ${i.message}`,
      );
    throw error;
  }
  throw new Error('expected the profile to be refused');
}

describe('validateBatchProfile', () => {
  it('fills defaults and resolves paths against the profile folder', () => {
    const profile = validateBatchProfile(GOOD, '/base');
    expect(profile.destination.archive).toBe('/base/mail.archive');
    expect(profile.mailboxes.csv).toBe('/base/users.csv');
    expect(profile.throttle).toMatchObject({
      parallelMailboxes: 2,
      maxConnectionsPerServer: 4,
      attempts: 3,
    });
    expect(profile.preflight.onFailure).toBe('stop');
  });

  it.each([
    [{ ...GOOD, name: '' }, /\/name: name must be letters/],
    [{ ...GOOD, name: '../etc' }, /\/name/],
    [{ ...GOOD, source: {} }, /\/source\/server: server is required/],
    [
      { ...GOOD, source: { server: 'x', port: 70000 } },
      /\/source\/port: source\/port must be 1-65535/,
    ],
    [
      { ...GOOD, source: { server: 'x', security: 'ssl' } },
      /security must be one of tls, starttls, none/,
    ],
    [{ ...GOOD, destination: {} }, /\/destination: destination needs either archive/],
    [
      { ...GOOD, destination: { archive: 'a', imap: { server: 'x' } } },
      /destination needs either archive/,
    ],
    [
      { ...GOOD, destination: { imap: { server: 'x' }, login: 'master' } },
      /\/destination\/masterUser: masterUser is required when login is master/,
    ],
    [{ ...GOOD, mailboxes: {} }, /\/mailboxes: mailboxes needs either csv/],
    [
      { ...GOOD, mailboxes: { csv: 'a', masterUser: { username: 'm', users: ['a'] } } },
      /mailboxes needs either csv/,
    ],
    [{ ...GOOD, mailboxes: { masterUser: { username: 'm' } } }, /masterUser needs one of users/],
    [
      { ...GOOD, mailboxes: { masterUser: { username: 'm', users: ['a'], select: 'only' } } },
      /\/mailboxes\/masterUser\/list: list is required when select is only/,
    ],
    [{ ...GOOD, throttle: { parallelMailboxes: 0 } }, /\/throttle\/parallelMailboxes/],
    [
      { ...GOOD, throttle: { maxConnectionsPerServer: 1000 } },
      /maxConnectionsPerServer must be 1-256/,
    ],
    [{ ...GOOD, throttle: { delayBetweenMessages: 'soon' } }, /delayBetweenMessages/],
    [{ ...GOOD, preflight: { onFailure: 'ignore' } }, /onFailure must be one of stop, continue/],
    [{ ...GOOD, notify: { email: { host: 'smtp' } } }, /\/notify\/email\/from: from is required/],
    [
      { ...GOOD, notify: { webhook: { url: 'ftp://x' } } },
      /\/notify\/webhook\/url: notify\/webhook\/url must be an http/,
    ],
    [{ ...GOOD, extra: 1 }, /\/extra: extra is not a known field/],
    [{ ...GOOD, sorce: {} }, /sorce is not a known field \(did you mean "source"\?\)/],
  ])('refuses %j naming the field', (profile, message) => {
    expect(fieldsOf(profile).join('\n')).toMatch(message);
  });

  it('lists every problem at once', () => {
    expect(
      fieldsOf({ name: '', source: {}, destination: {}, mailboxes: {} }).length,
    ).toBeGreaterThanOrEqual(4);
  });
});

describe('loadBatchProfile', () => {
  it('reads YAML and JSON', () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'p.yaml'),
      'name: nightly\nsource:\n  server: imap.example.com\ndestination:\n  archive: a.archive\nmailboxes:\n  csv: u.csv\n',
    );
    expect(loadBatchProfile(join(dir, 'p.yaml')).destination.archive).toBe(join(dir, 'a.archive'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify(GOOD));
    expect(loadBatchProfile(join(dir, 'p.json')).name).toBe('nightly');
  });

  it('names line and column of a broken YAML file, and says when a file cannot be read', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.yml'), 'name: x\nsource: [unclosed\n');
    expect(() => loadBatchProfile(join(dir, 'bad.yml'))).toThrow(
      /not valid YAML at line \d+, column \d+/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"name": ');
    expect(() => loadBatchProfile(join(dir, 'bad.json'))).toThrow(/not valid JSON/);
    expect(() => loadBatchProfile(join(dir, 'missing.json'))).toThrow(
      expect.objectContaining({
        code: 'USAGE_INVALID',
        message: expect.stringContaining('ENOENT'),
      }),
    );
  });
});

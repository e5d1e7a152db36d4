/**
 * isActive and isSource are promises to the connection's owner (issue 9: both were ignored by
 * read and import). Checked before any connection: port 1 on loopback has no listener, so a
 * call that got past validation would fail with CONNECT_REFUSED instead.
 */
import { describe, expect, it } from 'vitest';
import { read, readStream, runImport, testQuery, write } from '../../../src/index.js';

const base = {
  server: '127.0.0.1',
  port: 1,
  security: 'none',
  username: 'u',
  password: 'p',
  timeout: 1000,
};

describe('assertRole', () => {
  it.each([
    ['read', () => read({ ...base, isActive: false }, 'ALL'), '/isActive'],
    ['read', () => read({ ...base, isSource: false, isTarget: true }, 'ALL'), '/isSource'],
    ['readStream', () => readStream({ ...base, isActive: false }, 'ALL').next(), '/isActive'],
    [
      'runImport',
      () =>
        runImport(
          { ...base, isSource: false, isTarget: true },
          { destination: { archive: '/tmp/never.archive' } },
        ),
      '/isSource',
    ],
    [
      'runImport',
      () =>
        runImport(base, {
          destination: {
            connection: { ...base, isTarget: true, isActive: false },
            state: '/tmp/never.db',
          },
        }),
      '/destination/connection/isActive',
    ],
    [
      'write',
      () => write({ ...base, isTarget: true, isActive: false }, { folder: 'INBOX', messages: [] }),
      '/isActive',
    ],
  ])(
    '%s refuses a connection without that role (%s), before connecting',
    async (_name, call, field) => {
      await expect(call()).rejects.toMatchObject({ code: 'CONFIG_INVALID', field });
    },
  );

  it('testQuery reports it as a failed result', async () => {
    expect(await testQuery({ ...base, isActive: false }, 'ALL')).toMatchObject({
      ok: false,
      error: { code: 'CONFIG_INVALID', field: '/isActive' },
    });
  });
});

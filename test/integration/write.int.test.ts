/**
 * write(): APPEND raw messages or rows that carry their source into a target folder, with
 * flags and internal dates, creating the folder, never storing a message twice.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { read, write } from '../../src/index.js';
import { corpusUser, message } from '../helpers/corpus.js';
import { addDovecotUsers } from '../helpers/dovecot.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';

const targetConfig = (user: { name: string; password: string }): Record<string, unknown> =>
  makeConfig(user, { isTarget: true });

describe('write', () => {
  it('appends raw messages with flags and internal date into a new non-ASCII folder, and skips them on a second call', async () => {
    const user = freshUser('w');
    const input = {
      folder: 'Entwürfe/Ablage',
      messages: [
        {
          raw: message('Written one').toString('base64'),
          flags: ['\\Seen', '$Label1'],
          internalDate: '2023-05-06T07:08:09Z',
        },
        {
          raw: message('Written two', { id: null }).toString('utf8'),
          encoding: 'utf8',
          internalDate: 1700000000000,
        },
      ],
    };
    const first = await write(targetConfig(user), input);
    expect(first).toMatchObject({
      folder: 'Entwürfe/Ablage',
      created: true,
      stored: 2,
      duplicates: 0,
      failed: 0,
    });
    expect(first.results.map((r) => r.status)).toEqual(['stored', 'stored']);
    expect(first.results[0]!.uid).toBe(1);
    const snap = await snapshot(user);
    expect(snap['Entwürfe/Ablage']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          messageId: '<Written-one@example.com>',
          flags: ['$Label1', '\\Seen'],
          internalDate: '2023-05-06T07:08:09.000Z',
        }),
        expect.objectContaining({
          messageId: null,
          flags: [],
          internalDate: '2023-11-14T22:13:20.000Z',
        }),
      ]),
    );
    const second = await write(targetConfig(user), input);
    expect(second).toMatchObject({ created: false, stored: 0, duplicates: 2 });
    expect((await snapshot(user))['Entwürfe/Ablage']).toHaveLength(2);
  });

  it('takes rows read with raw: true, so a host can pipe read into write', async () => {
    const source = await corpusUser('wr');
    const target = freshUser('wt');
    const page = await read(makeConfig(source), 'ALL FOLDER INBOX', { raw: true, pageSize: 100 });
    expect(typeof (page.rows[0] as { raw?: unknown }).raw).toBe('string');
    const result = await write(targetConfig(target), { folder: 'INBOX', messages: page.rows });
    expect(result.stored).toBe(page.rows.length);
    expect((await snapshot(target)).INBOX).toEqual((await snapshot(source)).INBOX);
  });

  it('sends many messages in one MULTIAPPEND (RFC 3502) and reports each new UID', async () => {
    const user = freshUser('wm');
    const lines: string[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(String(entry.msg ?? ''));
    };
    const logger = { debug: log, info: log, warn: log, error: log };
    const messages = Array.from({ length: 5 }, (_, i) => ({
      raw: message(`Multi ${i}`).toString('base64'),
      flags: i % 2 ? ['\\Seen'] : [],
    }));
    const result = await write(
      targetConfig(user),
      { folder: 'Überweisungen', messages },
      { logger },
    );
    expect(result.results.map((r) => r.uid)).toEqual([1, 2, 3, 4, 5]);
    const appends = lines.filter((line) => / APPEND /.test(line));
    expect(appends).toHaveLength(1);
    expect(appends[0]).toContain('&ANw-berweisungen');
    expect((await snapshot(user))['Überweisungen']!.map((m) => m.flags).sort()).toEqual([
      [],
      [],
      [],
      ['\\Seen'],
      ['\\Seen'],
    ]);
  });

  it('stores a batch with two identical messages once', async () => {
    const user = freshUser('wd');
    const raw = message('Twice in one call').toString('base64');
    const result = await write(targetConfig(user), { messages: [{ raw }, { raw }] });
    expect(result.results.map((r) => r.status)).toEqual(['stored', 'duplicate']);
  });

  it('reports a message the server refuses as failed and stores the rest', async () => {
    const user = {
      name: `wl${randomBytes(4).toString('hex')}`,
      password: `pw-${randomBytes(6).toString('hex')}`,
    };
    addDovecotUsers(dovecot(), [{ ...user, maxMailSize: '4k' }]);
    const lines: string[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(String(entry.msg ?? ''));
    };
    const logger = { debug: log, info: log, warn: log, error: log };
    const raws = [
      message('Fine one'),
      message('Huge', { body: 'y'.repeat(9000) }),
      message('Fine two'),
    ].map((raw) => ({ raw: raw.toString('base64') }));
    const result = await write(targetConfig(user), { messages: raws }, { logger });
    expect(result).toMatchObject({ stored: 2, failed: 1 });
    expect(result.results.map((r) => r.status)).toEqual(['stored', 'failed', 'stored']);
    expect(result.results[1]).toMatchObject({
      status: 'failed',
      error: { code: 'MESSAGE_TOO_LARGE' },
    });
    // The MULTIAPPEND was refused as a whole (RFC 3502: nothing stored), then each message alone.
    expect(lines.filter((line) => / APPEND /.test(line))).toHaveLength(4);
    expect((await snapshot(user)).INBOX).toHaveLength(2);
    expect(JSON.stringify(result)).not.toContain(user.password);
  });

  it('refuses a connection that is not a target, and bad input naming the field, before any network I/O', async () => {
    const nowhere = {
      server: '127.0.0.1',
      port: 1,
      security: 'none',
      username: 'x',
      password: 'y',
    };
    await expect(write(nowhere, { messages: [{ raw: 'QQ==' }] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/isTarget',
    });
    await expect(
      write({ ...nowhere, isTarget: true }, { messages: [{ raw: 'not base64!' }] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/messages/0/raw' });
    await expect(write({ ...nowhere, isTarget: true }, { messages: [] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/messages',
    });
    await expect(
      write({ ...nowhere, isTarget: true }, { messages: [{ raw: 'QQ==', flags: ['bad flag'] }] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/messages/0/flags/0' });
  });
});

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/sinks/sqlite-driver.js';
import { Archive } from '../../../src/sinks/archive-db.js';
import { asctime, emlPath } from '../../../src/sinks/archive-export.js';
import { identify } from '../../../src/write/message-identity.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = (): string => tempDir();
const raw = (subject: string): Buffer =>
  Buffer.from(
    `Subject: ${subject}\r\nMessage-ID: <${subject}@x>\r\n\r\n${'text '.repeat(200)}\r\n`,
  );

function entry(folder: string, uid: number, source: Buffer) {
  return {
    account: 'ann@imap.example.com',
    folder,
    uidValidity: '9',
    uid,
    identity: identify(source),
    raw: source,
    flags: ['\\Seen'],
    internalDate: '2024-01-02T03:04:05.000Z',
    row: { uid },
  };
}

describe('Archive', () => {
  it('stores a source message once, compressed, keeps identical bytes once across folders, and reads them back', () => {
    const archive = Archive.open(join(dir(), 'a.archive'), { create: true });
    const source = raw('one');
    expect(archive.store(entry('INBOX', 1, source))).toBe(true);
    expect(archive.store(entry('INBOX', 1, source))).toBe(false);
    expect(archive.store(entry('Copy', 1, source))).toBe(true);
    const stats = archive.stats();
    expect(stats).toMatchObject({ messages: 2, bytes: 2 * source.length });
    expect(stats.storedBytes).toBeLessThan(source.length);
    expect(stats.folders.map((f) => [f.folder, f.messages, f.firstDate])).toEqual([
      ['Copy', 1, '2024-01-02T03:04:05.000Z'],
      ['INBOX', 1, '2024-01-02T03:04:05.000Z'],
    ]);
    const back = [...archive.messages({ folder: 'INBOX' })];
    expect(back).toHaveLength(1);
    expect(back[0]!.raw.equals(source)).toBe(true);
    expect(back[0]!.flags).toEqual(['\\Seen']);
    expect(
      archive.hasMessageIdKey('ann@imap.example.com', 'INBOX', identify(source).messageIdKey!),
    ).toBe(true);
    expect(
      archive.hasContentHash('ann@imap.example.com', 'Other', identify(source).contentHash!),
    ).toBe(false);
    archive.close();
  });

  it('reads back sources stored at any Brotli quality (archives written before quality 2)', () => {
    const archive = Archive.open(join(dir(), 'q.archive'), { create: true });
    const sources = [0, 4, 11].map((quality) => {
      const source = raw(`quality-${quality}`);
      const params = { [constants.BROTLI_PARAM_QUALITY]: quality };
      archive.store(entry('INBOX', quality + 1, source), brotliCompressSync(source, { params }));
      return source;
    });
    const back = [...archive.messages({ folder: 'INBOX' })];
    expect(back.map((m) => m.damage)).toEqual([null, null, null]);
    expect(back.map((m) => m.raw.toString())).toEqual(sources.map((s) => s.toString()));
    archive.close();
  });

  it('reads a version 1 archive as it is, and gives it the codec column when it is next written', () => {
    const path = join(dir(), 'v1.archive');
    const made = Archive.open(path, { create: true });
    const old = raw('before codecs');
    made.store(entry('INBOX', 1, old));
    made.close();
    // What version 1 wrote: no codec column, version 1.
    const v1 = openDatabase(path, { readonly: false, busyTimeoutMs: 5000 });
    v1.exec(
      `ALTER TABLE blobs DROP COLUMN codec; UPDATE archive_meta SET value = '1' WHERE key = 'version'`,
    );
    v1.close();
    const reading = Archive.open(path, { create: false, readonly: true });
    expect([...reading.messages()].map((m) => [m.raw.equals(old), m.damage])).toEqual([
      [true, null],
    ]);
    reading.close();

    const writing = Archive.open(path, { create: false });
    const attachment = Buffer.from(
      `Subject: file\r\nMessage-ID: <file@x>\r\n\r\n${(
        randomBytes(30_000)
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n')}\r\n`,
    );
    writing.store(entry('INBOX', 2, attachment));
    expect(writing.verify().damaged).toEqual([]);
    expect([...writing.messages()].map((m) => m.raw)).toEqual([old, attachment]);
    expect(writing.db.prepare('SELECT codec FROM blobs ORDER BY codec').all()).toEqual([
      { codec: 0 },
      { codec: 1 },
    ]);
    expect(
      writing.db.prepare(`SELECT value FROM archive_meta WHERE key = 'version'`).get(),
    ).toEqual({
      value: '2',
    });
    writing.close();
  });

  it('refuses another SQLite database and a file that is not one', () => {
    const d = dir();
    const other = openDatabase(join(d, 'other.db'), { readonly: false, busyTimeoutMs: 5000 });
    other.exec('CREATE TABLE t (x)');
    other.close();
    expect(() => Archive.open(join(d, 'other.db'), { create: true })).toThrow(
      expect.objectContaining({
        code: 'ARCHIVE_INVALID',
        message: expect.stringContaining('not an imap-connector archive'),
      }),
    );
    writeFileSync(join(d, 'text'), 'hello '.repeat(100));
    expect(() => Archive.open(join(d, 'text'), { create: true })).toThrow(
      expect.objectContaining({ code: 'ARCHIVE_INVALID' }),
    );
  });

  it('finishes an archive whose creation was cut off (a kill between its tables), and still refuses one with mail but no format mark', () => {
    const d = dir();
    const path = join(d, 'half.archive');
    // What an earlier version left when killed after its first table: archive_meta, empty.
    const half = openDatabase(path, { readonly: false, busyTimeoutMs: 5000 });
    half.exec('CREATE TABLE archive_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    half.close();
    expect(() => Archive.open(path, { create: false, readonly: true })).toThrow(
      expect.objectContaining({
        code: 'ARCHIVE_INVALID',
        message: expect.stringContaining('There is no archive'),
      }),
    );
    const finished = Archive.open(path, { create: true });
    finished.store(entry('INBOX', 1, raw('after the cut')));
    finished.close();
    const reopened = Archive.open(path, { create: false, readonly: true });
    expect(reopened.stats().messages).toBe(1);
    reopened.close();

    const marked = openDatabase(join(d, 'unmarked.archive'), {
      readonly: false,
      busyTimeoutMs: 5000,
    });
    marked.exec('CREATE TABLE archive_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    marked.exec("INSERT INTO archive_meta VALUES ('owner', 'someone else')");
    marked.close();
    expect(() => Archive.open(join(d, 'unmarked.archive'), { create: true })).toThrow(
      expect.objectContaining({
        message: expect.stringContaining('not an imap-connector archive'),
      }),
    );
  });

  it('reopens an archive it made', () => {
    const path = join(dir(), 'b.archive');
    const first = Archive.open(path, { create: true });
    first.store(entry('INBOX', 1, raw('kept')));
    first.close();
    const again = Archive.open(path, { create: false });
    expect(again.stats().messages).toBe(1);
    again.close();
  });
});

describe('export helpers', () => {
  it('writes the mbox From line date as asctime in UTC', () => {
    expect(asctime('2024-01-02T03:04:05.000Z')).toBe('Tue Jan  2 03:04:05 2024');
    expect(asctime(null)).toBe('Thu Jan  1 00:00:00 1970');
  });

  it('makes file names no folder or account name can escape', () => {
    expect(
      emlPath('/out', { account: 'a/b@h', folder: '../Sent/..', uidValidity: '1', uid: 2 }),
    ).toBe('/out/a_b@h/_/Sent/_/1-2.eml');
    expect(
      emlPath('/out', {
        account: 'ann@h',
        folder: 'Projekte/Über:fällig',
        uidValidity: '1',
        uid: 2,
      }),
    ).toBe('/out/ann@h/Projekte/Über_fällig/1-2.eml');
  });
});

describe('ArchiveSink', () => {
  it('stops with ARCHIVE_WRITE_FAILED when SQLite refuses a write, keeping none of the step', async () => {
    const { ArchiveSink } = await import('../../../src/sinks/archive-sink.js');
    const path = join(dir(), 'w.archive');
    const archive = Archive.open(path, { create: true });
    // A real SQLite refusal in the middle of the step's transaction: the second message's row.
    const other = openDatabase(path, { readonly: false, busyTimeoutMs: 5000 });
    other.exec(`CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.uid = 2
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    other.close();
    const sink = new ArchiveSink(archive, 'ann@h', 'message-id', {}, 'ann@h');
    const folder = await sink.openFolder({
      path: 'INBOX',
      name: 'INBOX',
      delimiter: '/',
      specialUse: null,
      specialUseFromServer: false,
      flags: [],
      subscribed: true,
    });
    const message = (uid: number, source: Buffer) => ({
      account: 'ann@h',
      folder: 'INBOX',
      uidValidity: '9',
      uid,
      raw: source,
      flags: [],
      internalDate: undefined,
      identity: identify(source),
      row: {},
    });
    const first = message(1, raw('rolled back'));
    const second = message(2, raw('refused'));
    folder.prepare?.([first, second]);
    const result = await folder.storeMany([first, second]);
    // The step is one transaction: the first message is not kept, so it is not reported stored.
    expect(result.outcomes).toEqual([]);
    expect(result.fatal).toMatchObject({
      code: 'ARCHIVE_WRITE_FAILED',
      message: expect.stringContaining('database or disk is full'),
    });
    expect(archive.stats().messages).toBe(0);
    // The failed transaction left nothing open: the next step stores.
    expect(await folder.storeMany([first])).toEqual({ outcomes: [undefined], fatal: undefined });
    expect([...archive.messages({ folder: 'INBOX' })].map((m) => m.raw)).toEqual([first.raw]);
    await sink.close();
    archive.close();
  });
});

/**
 * The embedded archive as an import destination: a full import, a second run that copies
 * nothing, stats, exports that give back the exact bytes, a kill mid-write, post-read
 * actions on the source, and a source folder renumbered between runs.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive, runImport } from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { openDatabase } from '../../src/sinks/sqlite-driver.js';
import { captureIo } from '../helpers/capture-io.js';
import { CORPUS, corpusUser, message } from '../helpers/corpus.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { counts, snapshot, withClient } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, sleep } from '../helpers/cli.js';

const TOTAL = Object.values(CORPUS).flat().length;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) =>
    statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
  );
}

/** Exports the archive as .eml files into `out` through the CLI; the files written. */
async function exportEml(path: string, out: string): Promise<string[]> {
  const args = ['archive', 'export', '--archive', path, '--format', 'eml', '--out', out];
  expect(await main(args, captureIo())).toBe(0);
  return files(out);
}

/** Per folder, the sorted hashes of the archived sources. */
function archivedHashes(path: string): Record<string, string[]> {
  const archive = Archive.open(path, { create: false });
  try {
    const result: Record<string, string[]> = {};
    for (const m of archive.messages()) (result[m.folder] ??= []).push(sha(m.raw));
    for (const list of Object.values(result)) list.sort();
    return result;
  } finally {
    archive.close();
  }
}

async function sourceHashes(user: {
  name: string;
  password: string;
}): Promise<Record<string, string[]>> {
  return Object.fromEntries(
    Object.entries(await snapshot(user)).map(([folder, messages]) => [
      folder,
      messages.map((m) => m.sha256).sort(),
    ]),
  );
}

describe('import into the embedded archive', () => {
  it('stores every message once, copies nothing on the second run, and exports the exact source bytes', async () => {
    const source = await corpusUser('as');
    const dir = tempDir();
    const path = join(dir, 'mail.archive');
    const first = await runImport(makeConfig(source), { destination: { archive: path } });
    expect(first).toMatchObject({
      destination: 'archive',
      totals: { seen: TOTAL, copied: TOTAL, failed: 0 },
    });
    const second = await runImport(makeConfig(source), { destination: { archive: path } });
    expect(second.totals).toMatchObject({ seen: 0, copied: 0 });
    expect(archivedHashes(path)).toEqual(await sourceHashes(source));

    const io = captureIo();
    expect(await main(['archive', 'stats', '--archive', path, '--json'], io)).toBe(0);
    const stats = JSON.parse(io.out()) as {
      folders: { account: string; folder: string; messages: number }[];
      messages: number;
      storedBytes: number;
      bytes: number;
    };
    expect(stats.messages).toBe(TOTAL);
    expect(Object.fromEntries(stats.folders.map((f) => [f.folder, f.messages]))).toEqual(
      counts(await snapshot(source)),
    );
    expect(stats.folders[0]!.account).toBe(`${source.name}@${dovecot().host}`);
    expect(stats.storedBytes).toBeLessThan(stats.bytes);

    const out = join(dir, 'eml');
    const exported = await exportEml(path, out);
    expect(exported).toHaveLength(TOTAL);
    const byFolder: Record<string, string[]> = {};
    for (const file of exported) {
      const folder = file
        .slice(out.length + 1)
        .split('/')
        .slice(1, -1)
        .join('/');
      (byFolder[folder] ??= []).push(sha(readFileSync(file)));
    }
    for (const list of Object.values(byFolder)) list.sort();
    expect(byFolder).toEqual(await sourceHashes(source));
  });

  it('exports an mboxrd file a reader can split back into the exact messages', async () => {
    const source = freshUser('mb');
    const tricky = Buffer.from(
      'From: a@example.com\r\nSubject: quoting\r\nMessage-ID: <q@example.com>\r\n\r\nFrom the start of a line\r\n>From already quoted\r\n',
    );
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: tricky }, { source: message('Plain one') }],
    });
    const dir = tempDir();
    const path = join(dir, 'a.archive');
    await runImport(makeConfig(source), { destination: { archive: path } });
    const file = join(dir, 'all.mbox');
    expect(
      await main(
        ['archive', 'export', '--archive', path, '--format', 'mbox', '--out', file],
        captureIo(),
      ),
    ).toBe(0);
    const text = readFileSync(file, 'latin1');
    const parts = text
      .split(/^From MAILER-DAEMON .*\n/m)
      .slice(1)
      .map((part) => Buffer.from(part.slice(0, -1).replace(/^>(>*From )/gm, '$1'), 'latin1'));
    expect(parts.map(sha).sort()).toEqual((await sourceHashes(source)).INBOX);
  });

  it('keeps base64 attachments as their bytes, and gives back every message exactly (export, verify)', async () => {
    const source = freshUser('ab');
    const attachment = (bytes: Buffer, width: number): string =>
      (bytes.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\r\n');
    const seeds = [76, 72, 64, 75].map((width, i) => ({
      source: Buffer.from(
        [
          `Subject: files ${i}`,
          `Message-ID: <files-${i}@example.com>`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary=b',
          '',
          '--b',
          'Content-Type: text/plain',
          '',
          'The files.',
          '--b',
          'Content-Type: application/pdf',
          'Content-Transfer-Encoding: base64',
          '',
          attachment(randomBytes(40_000 + i * 30_000), width),
          '--b--',
          '',
        ].join('\r\n'),
      ),
    }));
    await seedMailbox(dovecot(), source, { INBOX: seeds });
    const dir = tempDir();
    const path = join(dir, 'att.archive');
    const result = await runImport(makeConfig(source), { destination: { archive: path } });
    expect(result.totals).toMatchObject({ copied: 4, failed: 0 });
    expect(archivedHashes(path)).toEqual(await sourceHashes(source));
    // Three are canonical (76, 72 and 64 columns); 75 columns is not a base64 line width.
    const db = openDatabase(path, { readonly: true, busyTimeoutMs: 5000 });
    expect(db.prepare('SELECT codec, count(*) AS n FROM blobs GROUP BY codec').all()).toEqual([
      { codec: 0, n: 1 },
      { codec: 1, n: 3 },
    ]);
    db.close();
    const verify = captureIo();
    expect(await main(['archive', 'verify', '--archive', path], verify)).toBe(0);
    const exported = await exportEml(path, join(dir, 'eml'));
    expect(exported.map((file) => sha(readFileSync(file))).sort()).toEqual(
      (await sourceHashes(source)).INBOX,
    );
  });

  it('survives kill -9 mid-write: the next run ends with exactly the source messages', async () => {
    const source = freshUser('ak');
    const many = Array.from({ length: 50 }, (_, i) => ({
      source: message(`Killed ${i}`, {
        body: `body ${i}\r\n`.repeat(50),
        ...(i % 4 === 0 ? { id: null } : {}),
      }),
    }));
    await seedMailbox(dovecot(), source, { INBOX: many });
    const dir = tempDir();
    const path = join(dir, 'k.archive');
    writeFileSync(
      join(dir, 'source.json'),
      JSON.stringify({ ...makeConfig(source), password: undefined, delayBetweenMessages: '0.03' }),
    );
    const env = { ...process.env, IMAP_PASSWORD: source.password };
    const args = [CLI, 'import', '--config', join(dir, 'source.json'), '--archive', path];
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const archived = (): number => {
      try {
        return (archivedHashes(path).INBOX ?? []).length;
      } catch {
        return 0; // not created yet
      }
    };
    for (let i = 0; i < 200 && archived() < 10; i++) await sleep(50);
    child.kill('SIGKILL');
    await exited;
    const partial = (archivedHashes(path).INBOX ?? []).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(50);
    const rerun = spawn(process.execPath, args, { env, stdio: 'ignore' });
    expect(await new Promise((resolve) => rerun.on('exit', resolve))).toBe(0);
    expect(archivedHashes(path)).toEqual(await sourceHashes(source));
  });

  it('re-reads a folder whose UIDVALIDITY changed and finds every message already archived', async () => {
    const source = freshUser('au');
    const seeds = [
      { source: message('Renumbered one') },
      { source: message('Renumbered two', { id: null }) },
    ];
    await seedMailbox(dovecot(), source, { Projects: seeds });
    const path = join(tempDir(), 'u.archive');
    await runImport(makeConfig(source), { destination: { archive: path } });
    await withClient(source, async (client) => {
      await client.mailboxDelete('Projects');
    });
    await seedMailbox(dovecot(), source, { Projects: seeds });
    const again = await runImport(makeConfig(source), { destination: { archive: path } });
    const projects = again.folders.find((f) => f.folder === 'Projects')!;
    expect(projects.uidValidityChanged).toBeDefined();
    expect(projects).toMatchObject({ seen: 2, copied: 0, duplicates: 2 });
  });
});

describe('post-read actions', () => {
  async function run(action: object): Promise<{ name: string; password: string }> {
    const source = freshUser('pa');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Act one') }, { source: message('Act two'), flags: ['\\Flagged'] }],
    });
    await runImport(makeConfig(source), {
      destination: { archive: join(tempDir(), 'p.archive') },
      postReadAction: action as never,
      query: 'ALL FOLDER INBOX',
    });
    return source;
  }

  it('are off by default: the source is not changed', async () => {
    const source = freshUser('pn');
    await seedMailbox(dovecot(), source, { INBOX: [{ source: message('Untouched') }] });
    const before = await snapshot(source);
    await runImport(makeConfig(source), { destination: { archive: join(tempDir(), 'n.archive') } });
    expect(await snapshot(source)).toEqual(before);
  });

  it('markSeen sets \\Seen', async () => {
    const snap = await snapshot(await run({ type: 'markSeen' }));
    expect(snap.INBOX!.map((m) => m.flags)).toEqual(
      expect.arrayContaining([['\\Seen'], ['\\Flagged', '\\Seen']]),
    );
  });

  it('addKeyword adds the keyword', async () => {
    const snap = await snapshot(await run({ type: 'addKeyword', keyword: '$Archived' }));
    expect(snap.INBOX!.every((m) => m.flags.includes('$Archived'))).toBe(true);
  });

  it('move moves to the folder, creating it, and a later run does not import that folder', async () => {
    const source = freshUser('pm');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Move one') }, { source: message('Move two') }],
    });
    const archive = join(tempDir(), 'm.archive');
    await runImport(makeConfig(source), {
      destination: { archive },
      postReadAction: { type: 'move', folder: 'Done' },
    });
    const snap = await snapshot(source);
    expect(snap.INBOX).toBeUndefined();
    expect(snap.Done).toHaveLength(2);
    const later = await runImport(makeConfig(source), {
      destination: { archive },
      postReadAction: { type: 'move', folder: 'Done' },
    });
    expect(later.folders.map((f) => f.folder)).not.toContain('Done');
    expect(later.totals.seen).toBe(0);
  });

  it('delete removes the messages', async () => {
    const snap = await snapshot(await run({ type: 'delete' }));
    expect(snap.INBOX).toBeUndefined();
  });

  it('delete by age removes copied messages once they are old enough, run after run, never a failed one', async () => {
    const source = freshUser('pd');
    const daysAgo = (days: number): Date => new Date(Date.now() - days * 86_400_000);
    const big = message('Old and too large', { body: 'x'.repeat(20_000) });
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Two hundred days'), internalDate: daysAgo(200) },
        { source: message('Sixty days'), internalDate: daysAgo(60) },
        { source: message('Ten days'), internalDate: daysAgo(10) },
        { source: big, internalDate: daysAgo(300) },
      ],
    });
    const archive = join(tempDir(), 'age.archive');
    const config = { ...makeConfig(source), maxMessageSize: 10_000 };
    // The source's messages by age in days (each test message has its own age).
    const ages = async (): Promise<number[]> =>
      ((await snapshot(source)).INBOX ?? [])
        .map((m) => Math.round((Date.now() - Date.parse(m.internalDate)) / 86_400_000))
        .sort((a, b) => a - b);
    const first = await runImport(config, {
      destination: { archive },
      postReadAction: { type: 'delete', olderThanDays: 100 },
    });
    expect(first.totals).toMatchObject({ copied: 3, failed: 1, sourceDeleted: 1 });
    expect(await ages()).toEqual([10, 60, 300]);
    // Time passes: 30 days is the rule now, and a new 40-day-old message arrived meanwhile.
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Forty days'), internalDate: daysAgo(40) }],
    });
    const second = await runImport(config, {
      destination: { archive },
      postReadAction: { type: 'delete', olderThanDays: 30 },
    });
    // The sixty-day message from the first run and the new forty-day one; the failed one stays.
    expect(second.totals).toMatchObject({ copied: 1, sourceDeleted: 2 });
    expect(await ages()).toEqual([10, 300]);
    const stored = Archive.open(archive, { create: false });
    try {
      expect([...stored.messages()]).toHaveLength(4);
    } finally {
      stored.close();
    }
  });
});

describe('archive errors', () => {
  it('refuses a file that is not an archive, before touching it', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(
      file,
      'just some text, not SQLite at all, long enough to have a header page.'.repeat(20),
    );
    const io = captureIo();
    expect(await main(['archive', 'stats', '--archive', file], io)).toBe(8);
    expect(io.err()).toContain('ARCHIVE_INVALID');
    expect(readFileSync(file, 'utf8')).toContain('just some text');
  });

  it('an import with an archive path that cannot be written fails before connecting', async () => {
    const nowhere = {
      server: '127.0.0.1',
      port: 1,
      security: 'none',
      username: 'u',
      password: 'p',
    };
    await expect(
      runImport(nowhere, { destination: { archive: '/nonexistent-dir/a.archive' } }),
    ).rejects.toMatchObject({
      code: 'FILE_WRITE_FAILED',
      retryable: false,
      message: expect.stringContaining('directory does not exist'),
    });
  });

  it('says so when there is no archive at the path', async () => {
    const io = captureIo();
    expect(
      await main(
        [
          'archive',
          'export',
          '--archive',
          join(tempDir(), 'missing.archive'),
          '--format',
          'eml',
          '--out',
          tempDir(),
        ],
        io,
      ),
    ).toBe(8);
    expect(io.err()).toMatch(/ARCHIVE_INVALID\s+There is no archive/);
  });
});

/**
 * The archive keeps mail for years; disks flip bits. Every source is stored under its SHA-256,
 * and is now checked against it whenever it is read (issue 9: after 10 flipped bits, export
 * wrote changed messages as good in 8 of 20 trials). Also: verify, read-only media (a
 * private mount namespace with a read-only bind mount, made by unshare), and owner-only files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/sinks/sqlite-driver.js';
import { main } from '../../src/cli/main.js';
import { Archive } from '../../src/sinks/archive-db.js';
import { identify } from '../../src/write/message-identity.js';
import { captureIo } from '../helpers/capture-io.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI } from '../helpers/cli.js';

const COUNT = 50;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
// Varied, poorly compressible sources, so a flipped bit is as likely in mail as in SQLite's pages.
const source = (i: number): Buffer =>
  Buffer.from(
    `Subject: kept ${i}\r\nMessage-ID: <kept-${i}@x>\r\n\r\n${createHash('sha512')
      .update(String(i))
      .digest('base64')
      .repeat(8 + (i % 5))}\r\n`,
  );
const ORIGINALS = new Set(Array.from({ length: COUNT }, (_, i) => sha(source(i))));

function makeArchive(dir: string): string {
  const path = join(dir, 'mail.archive');
  const archive = Archive.open(path, { create: true });
  for (let i = 0; i < COUNT; i++) {
    const raw = source(i);
    archive.store({
      account: 'ann@example.org',
      folder: 'INBOX',
      uidValidity: '7',
      uid: i + 1,
      identity: identify(raw),
      raw,
      flags: [],
      internalDate: undefined,
      row: {},
    });
  }
  archive.close();
  return path;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

/** Every .eml below dir. */
function exported(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
}

// A tiny deterministic generator, so a failing trial can be replayed from its seed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () =>
    (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

describe('archive integrity', () => {
  it('never exports a message whose stored bytes changed; lists it and exits 8, exporting the rest', async () => {
    const dir = tempDir();
    const path = makeArchive(dir);
    const db = openDatabase(path, { readonly: false, busyTimeoutMs: 5000 });
    const blob = db.prepare('SELECT sha256, compressed FROM blobs LIMIT 1 OFFSET 3').get() as {
      sha256: string;
      compressed: Buffer;
    };
    const changed = Buffer.from(blob.compressed);
    changed[Math.floor(changed.length / 2)]! ^= 0x10;
    db.prepare('UPDATE blobs SET compressed = ? WHERE sha256 = ?').run(changed, blob.sha256);
    db.close();

    const out = join(dir, 'eml');
    const result = await cli([
      'archive',
      'export',
      '--archive',
      path,
      '--format',
      'eml',
      '--out',
      out,
    ]);
    expect(result.code).toBe(8);
    expect(result.out).toMatch(/^DAMAGED {2}ann@example.org {2}INBOX {2}UID \d+/m);
    expect(result.err).toMatch(/ARCHIVE_DAMAGED/);
    const files = exported(out);
    expect(files).toHaveLength(COUNT - 1);
    for (const file of files) expect(ORIGINALS.has(sha(file))).toBe(true);

    const verify = await cli(['archive', 'verify', '--archive', path, '--json']);
    expect(verify.code).toBe(8);
    expect((JSON.parse(verify.out) as { damaged: unknown[] }).damaged).toHaveLength(1);
  });

  it('(20 seeded trials of 10 random bit flips anywhere in the file) never exports changed bytes as good, and never exits 0 with damage', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const dir = tempDir();
      const path = makeArchive(dir);
      const bytes = readFileSync(path);
      const next = random(seed);
      for (let flip = 0; flip < 10; flip++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at]! ^= 1 << Math.floor(next() * 8);
      }
      writeFileSync(path, bytes);
      const out = join(dir, 'eml');
      const result = await cli([
        'archive',
        'export',
        '--archive',
        path,
        '--format',
        'eml',
        '--out',
        out,
      ]);
      const files = (() => {
        try {
          return exported(out);
        } catch {
          return [];
        }
      })();
      const bad = files.filter((file) => !ORIGINALS.has(sha(file)));
      expect(bad, `seed ${seed}`).toEqual([]);
      if (files.length < COUNT) expect(result.code, `seed ${seed}: ${result.err}`).not.toBe(0);
      expect(result.err, `seed ${seed}`).not.toMatch(/INTERNAL/);
    }
  }, 60_000);

  it('verifies a sound archive, and creates it and its exports owner-only', async () => {
    const dir = tempDir();
    const path = makeArchive(dir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const verify = await cli(['archive', 'verify', '--archive', path]);
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.out).toMatch(/^OK {2}50 messages checked, 0 damaged; database: ok$/m);
    expect(
      (
        await cli([
          'archive',
          'export',
          '--archive',
          path,
          '--format',
          'mbox',
          '--out',
          join(dir, 'all.mbox'),
        ])
      ).code,
    ).toBe(0);
    expect(statSync(join(dir, 'all.mbox')).mode & 0o777).toBe(0o600);
    expect(
      (
        await cli([
          'archive',
          'export',
          '--archive',
          path,
          '--format',
          'eml',
          '--out',
          join(dir, 'eml'),
        ])
      ).code,
    ).toBe(0);
    expect(statSync(join(dir, 'eml', 'ann@example.org')).mode & 0o777).toBe(0o700);
  });

  it('reads an archive on read-only media: stats, verify and export', () => {
    const dir = tempDir();
    const original = join(dir, 'disc');
    const mounted = join(dir, 'mounted');
    mkdirSync(original);
    mkdirSync(mounted);
    makeArchive(original);
    const out = join(dir, 'out.mbox');
    const commands = [
      `mount --bind '${original}' '${mounted}'`,
      `mount -o remount,ro,bind '${mounted}'`,
      `touch '${mounted}/probe' 2>/dev/null && exit 90`,
      `'${process.execPath}' '${CLI}' archive stats --archive '${mounted}/mail.archive' --json`,
      `'${process.execPath}' '${CLI}' archive verify --archive '${mounted}/mail.archive'`,
      `'${process.execPath}' '${CLI}' archive export --archive '${mounted}/mail.archive' --format mbox --out '${out}'`,
    ];
    // A mount namespace of its own: the read-only mount vanishes with the process.
    const run = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-ec', commands.join('\n')],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(
      JSON.parse(
        run.stdout.split('\n')[0]!.startsWith('{')
          ? run.stdout.slice(0, run.stdout.indexOf('\n}') + 2)
          : '{}',
      ),
    ).toMatchObject({ messages: COUNT });
    expect(run.stdout).toMatch(/OK {2}50 messages checked/);
    expect(readFileSync(out, 'latin1').match(/^From MAILER-DAEMON/gm)).toHaveLength(COUNT);
    expect(execFileSync('ls', [original]).toString().trim()).toBe('mail.archive');
  });
});

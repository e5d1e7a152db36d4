/**
 * The rows a read writes with --out are mail a person relies on (issue 9): following the
 * printed resume hint must append, never truncate; an output is only emptied once a run is
 * known to be valid; a state file's offset is checked against the file; pipes and devices
 * work; files are owner-only; a path that cannot be written is FILE_WRITE_FAILED, not a bug.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { cliConnection, dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const COUNT = 40;
let user: { name: string; password: string };
const connection = (): string[] => [...cliConnection(user), '--query', 'ALL'];
const subjects = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { subject: string }).subject);
const ALL = Array.from({ length: COUNT }, (_, i) => `out ${i}`);

beforeAll(async () => {
  user = freshUser('ro');
  await seedMailbox(dovecot(), user, {
    INBOX: ALL.map((subject) => ({
      source: `Subject: ${subject}\r\nFrom: a@example.org\r\n\r\nx\r\n`,
    })),
  });
});

async function read(args: string[]): Promise<{ code: number; err: string }> {
  const io = captureIo({ IMAP_PASSWORD: user.password });
  const code = await main(['read', ...connection(), ...args], io);
  return { code, err: io.err() };
}

describe('read --out', () => {
  it('appends when resumed with the printed --cursor, losing and repeating no row', async () => {
    const out = join(tempDir(), 'rows.ndjson');
    const first = await read(['--page-size', '15', '--out', out]);
    expect(first.code).toBe(0);
    const cursor = /cursor: (\S+)/.exec(first.err)![1]!;
    expect(
      await read(['--all', '--page-size', '15', '--cursor', cursor, '--out', out]),
    ).toMatchObject({ code: 0 });
    expect(subjects(out)).toEqual(ALL);
  });

  it('leaves an existing output untouched when the run turns out invalid (a foreign cursor)', async () => {
    const out = join(tempDir(), 'rows.ndjson');
    writeFileSync(out, '{"keep":1}\n');
    const result = await read(['--all', '--cursor', 'not-a-cursor', '--out', out]);
    expect(result.code).toBe(8);
    expect(readFileSync(out, 'utf8')).toBe('{"keep":1}\n');
  });

  it.each([
    ['negative', -5],
    ['beyond the file', 10_000_000],
    ['in the middle of a row', 7],
    ['not a number', '12'],
  ])('refuses a state whose output offset is %s, and changes nothing', async (_name, bytes) => {
    const dir = tempDir();
    const out = join(dir, 'rows.ndjson');
    const state = join(dir, 'state.json');
    expect((await read(['--all', '--page-size', '10', '--state', state, '--out', out])).code).toBe(
      0,
    );
    const saved = JSON.parse(readFileSync(state, 'utf8')) as {
      cursor: string;
      out: { path: string; bytes: number };
    };
    writeFileSync(state, JSON.stringify({ ...saved, out: { ...saved.out, bytes } }));
    const before = readFileSync(out);
    const result = await read(['--all', '--state', state, '--out', out]);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/output offset/);
    expect(readFileSync(out)).toEqual(before);
  });

  it('creates the output and the state owner-only (0600)', async () => {
    const dir = tempDir();
    expect(
      (await read(['--all', '--state', join(dir, 'state.json'), '--out', join(dir, 'rows.ndjson')]))
        .code,
    ).toBe(0);
    expect(statSync(join(dir, 'rows.ndjson')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
  });

  it('writes to /dev/null and to a named pipe', async () => {
    expect(
      (await read(['--all', '--out', '/dev/null', '--state', join(tempDir(), 'state.json')])).code,
    ).toBe(0);
    const fifo = join(tempDir(), 'rows.fifo');
    execFileSync('mkfifo', [fifo]);
    // A reader on the other end: cat drains the pipe into a file.
    const sink = join(tempDir(), 'drained.ndjson');
    const { spawn } = await import('node:child_process');
    const cat = spawn('sh', ['-c', `cat "${fifo}" > "${sink}"`]);
    const drained = new Promise((resolve) => cat.on('exit', resolve));
    expect((await read(['--all', '--out', fifo])).code).toBe(0);
    await drained;
    expect(subjects(sink)).toEqual(ALL);
  });

  it.each([
    [
      'a missing directory',
      (dir: string) => join(dir, 'missing', 'rows.ndjson'),
      /directory does not exist/,
    ],
    ['a directory', (dir: string) => dir, /is a directory/],
  ])('says FILE_WRITE_FAILED (exit 9) for an output in %s', async (_name, path, words) => {
    const result = await read(['--all', '--out', path(tempDir())]);
    expect(result.code).toBe(9);
    expect(result.err).toMatch(/FILE_WRITE_FAILED/);
    expect(result.err).toMatch(words);
  });
});

describe('read --out on a full or read-only disk', () => {
  // A mount namespace of its own (unshare): a 16 KB tmpfs and a read-only bind mount, gone with
  // the process. The CLI runs as a real process inside it.
  it.each([
    [
      'full',
      (dir: string) => `mount -t tmpfs -o size=16k tmpfs '${dir}'`,
      /the disk is full/,
      true,
    ],
    [
      'read-only',
      (dir: string) => `mount --bind '${dir}' '${dir}' && mount -o remount,ro,bind '${dir}'`,
      /read-only/,
      false,
    ],
  ])(
    '(%s) says FILE_WRITE_FAILED with the reason, exit 9',
    async (_name, mount, words, retryable) => {
      const { spawnSync } = await import('node:child_process');
      const cli = CLI;
      const dir = tempDir();
      const script = `${mount(dir)} && exec '${process.execPath}' '${cli}' read ${connection()
        .map((arg) => `'${arg}'`)
        .join(' ')} --all --out '${dir}/rows.ndjson' --state '${dir}/state.json'`;
      const run = spawnSync(
        'unshare',
        ['--mount', '--propagation', 'private', 'sh', '-ec', script],
        { encoding: 'utf8', env: { ...process.env, IMAP_PASSWORD: user.password } },
      );
      expect(run.status, run.stderr).toBe(9);
      expect(run.stderr).toMatch(/FILE_WRITE_FAILED/);
      expect(run.stderr).toMatch(words);
      expect(run.stderr).toMatch(retryable ? /retry {9}yes/ : /retry {9}no/);
    },
  );
});

describe('read --json', () => {
  it('closes with one JSON summary on stderr that a script can follow page by page', async () => {
    const pages: { rows: number; cursor: string; done: boolean }[] = [];
    let cursor: string | undefined;
    const subjectsSeen: string[] = [];
    do {
      const io = captureIo({ IMAP_PASSWORD: user.password });
      expect(
        await main(
          [
            'read',
            ...connection(),
            '--page-size',
            '15',
            '--json',
            ...(cursor ? ['--cursor', cursor] : []),
          ],
          io,
        ),
      ).toBe(0);
      const summary = JSON.parse(io.err().trim()) as {
        rows: number;
        cursor: string;
        done: boolean;
      };
      pages.push(summary);
      subjectsSeen.push(
        ...io
          .out()
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { subject: string }).subject),
      );
      cursor = summary.done ? undefined : summary.cursor;
    } while (cursor);
    expect(pages.map((page) => [page.rows, page.done])).toEqual([
      [15, false],
      [15, false],
      [10, true],
    ]);
    expect(subjectsSeen).toEqual(ALL);
  });
});

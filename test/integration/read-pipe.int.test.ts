/**
 * `read --state S | ingest` is how a scheduled run feeds a pipeline (issue 24). Before, with
 * `| head -1000` the state moved to UID 1,600 and the next run skipped the 600 messages nobody
 * got, and the CLI died on the broken pipe with a stack trace. A pipe proves delivery only by a
 * clean end: the state moves only then, and a reader that goes away ends the run with 141 and
 * one line. Here: for many N, `| head -n N`, then the next run: every message the consumer did
 * not get comes, none is missing. Real processes and a real shell pipe.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { cliConnection, dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const COUNT = 400;
// Each row is about 0.7 KB: what head leaves unread is far more than a pipe buffer (64 KiB).
const PADDING = 'p'.repeat(300);
let user: { name: string; password: string };

beforeAll(async () => {
  user = freshUser('pipe');
  await seedMailbox(dovecot(), user, {
    INBOX: Array.from({ length: COUNT }, (_, i) => ({
      source: `Subject: piped ${i} ${PADDING}\r\nFrom: a@example.org\r\nMessage-ID: <p${i}@x>\r\n\r\nx\r\n`,
    })),
  });
}, 60_000);

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs `imap-connector ARGS | CONSUMER` in bash; the CLI's exit code and stderr, and what the consumer wrote. */
function piped(
  args: string[],
  consumer: string,
  dir: string,
): { code: number; err: string; got: string } {
  const cli = [process.execPath, CLI, ...args].map(quote).join(' ');
  const script = `${cli} 2>${quote(join(dir, 'err'))} | ${consumer} > ${quote(join(dir, 'got'))}; exit \${PIPESTATUS[0]}`;
  const result = spawnSync('bash', ['-c', script], {
    env: { ...process.env, IMAP_PASSWORD: user.password },
    timeout: 60_000,
  });
  return {
    code: result.status ?? -1,
    err: readFileSync(join(dir, 'err'), 'utf8'),
    got: readFileSync(join(dir, 'got'), 'utf8'),
  };
}

const ids = (ndjson: string): string[] =>
  ndjson
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { messageId: string }).messageId);

const ALL = Array.from({ length: COUNT }, (_, i) => `<p${i}@x>`);
const read = (state: string): string[] => [
  'read',
  ...cliConnection(user),
  '--query',
  'ALL',
  '--all',
  '--page-size',
  '50',
  '--state',
  state,
];

describe('read --state into a pipe whose reader stops early', () => {
  // The first row, either side of a page boundary (pages of 50), the middle, and near the end,
  // where what head leaves unread fits in the pipe's buffer: the writer has finished when head
  // stops, so only the pipe draining, not an EPIPE, tells what was delivered.
  it.each([1, 49, 50, 51, 250, 399])(
    '(| head -n %i) exits 141 without a stack trace, and the next run gives every message the reader did not get',
    (n) => {
      const dir = tempDir();
      const state = join(dir, 'state.json');
      const first = piped(read(state), `head -n ${n}`, dir);
      const got = ids(first.got);
      expect(first.code, first.err).toBe(141);
      expect(first.err).toMatch(/Stopped: the reader of the output went away/);
      expect(first.err).not.toMatch(/\n\s+at |Error:/);
      expect(got).toHaveLength(n);
      const rest = piped(read(state), 'cat', dir);
      expect(rest.code, rest.err).toBe(0);
      const union = new Set([...got, ...ids(rest.got)]);
      expect([...union].sort()).toEqual([...ALL].sort());
      // And once everything was read to the end, the next run has nothing new.
      expect(ids(piped(read(state), 'cat', dir).got)).toEqual([]);
    },
    60_000,
  );
});

/**
 * Runs the CLI as a program spawns it (Node's child_process: stdout is a socket pair, not a
 * FIFO); the reader takes `take` rows and then closes its end, or reads all when undefined.
 */
async function spawned(
  args: string[],
  take: number | undefined,
): Promise<{ code: number; err: string; got: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, IMAP_PASSWORD: user.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const got: string[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    if (take !== undefined && got.length >= take) return;
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (got.length < (take ?? Infinity)) got.push(line);
    if (take !== undefined && got.length >= take) child.stdout.destroy();
  });
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, err, got: ids(got.join('\n')) };
}

describe('read --state into a program that spawned it (a socket pair)', () => {
  it('moves the state once the program read every row, and not when it closed early', async () => {
    const dir = tempDir();
    const state = join(dir, 'state.json');
    const early = await spawned(read(state), 120);
    expect(early.code, early.err).toBe(141);
    expect(early.got).toHaveLength(120);
    const all = await spawned(read(state), undefined);
    expect(all.code, all.err).toBe(0);
    expect([...new Set([...early.got, ...all.got])].sort()).toEqual([...ALL].sort());
    const after = await spawned(read(state), undefined);
    expect(after.code, after.err).toBe(0);
    expect(after.got).toEqual([]);
  }, 60_000);
});

describe('other commands into a closed pipe', () => {
  it.each([
    ['discover', ['discover', '--query', 'ALL']],
    ['test-query --json', ['test-query', '--query', 'ALL', '--json']],
    ['read --json (one page)', ['read', '--query', 'ALL', '--json']],
  ])('(%s | head -c 5) ends without a stack trace', (_name, args) => {
    const dir = tempDir();
    const [command, ...rest] = args;
    const result = piped([command!, ...cliConnection(user), ...rest], 'head -c 5', dir);
    expect(result.err).not.toMatch(/\n\s+at |Error:|Internal error/);
    expect([0, 141]).toContain(result.code);
  });
});

it('(the test harness) runs bash', () => {
  expect(execFileSync('bash', ['-c', 'echo ok']).toString()).toBe('ok\n');
  expect(dovecot().host).toBe('127.0.0.1');
});

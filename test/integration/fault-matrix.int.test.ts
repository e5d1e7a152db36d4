/**
 * The random-fault matrix: read --all (readStream), import into the archive, import into
 * another account (also with post-read delete) and a batch of three mailboxes, each through
 * the loopback fault proxy with the connection cut, or silenced, at a seeded random byte
 * offset on the source or the destination side, for a random number of sessions in a row;
 * the run goes on by itself (reconnect). Then the same CLI runs (read --all --state --out,
 * import into the archive, import into another account) killed with SIGKILL at a seeded random
 * moment and run again. Every trial must end with exactly the source's messages by content
 * hash: 0 lost, 0 duplicated; with post-read delete, the source also empty. A failing trial
 * names its seed (FAULT_MATRIX_SEED=<seed> replays it). FAULT_MATRIX_TRIALS sets the trials per
 * path: a few in the default run, 50 in .ci/run.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream, runBatch, runImport } from '../../src/index.js';
import { CLI, cliImportArgs, sleep } from '../helpers/cli.js';
import { message } from '../helpers/corpus.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { archiveHashes, archiveProfile, mailboxHashes } from '../helpers/batch-fixtures.js';
import { seedMailbox } from '../helpers/seed.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { tempDir } from '../helpers/temp-dir.js';

const TRIALS = Number(process.env.FAULT_MATRIX_TRIALS ?? 4);
const FIRST_SEED = Number(process.env.FAULT_MATRIX_SEED ?? 20261125);
const MESSAGES = 24;

interface Trial {
  seed: number;
  side: 'source' | 'destination';
  mode: FaultMode;
}

function trialOf(seed: number, sides: Trial['side'][]): Trial {
  const next = seededRandom(seed);
  const side = sides[Math.floor(next() * sides.length)]!;
  const afterServerBytes = 300 + Math.floor(next() * 40_000);
  const connections = 1 + Math.floor(next() * 3);
  const kind = next() < 0.8 ? 'cut' : 'silent';
  return { seed, side, mode: { kind, afterServerBytes, connections } };
}

let proxy: FaultProxy;
let source: { name: string; password: string };
let expected: Record<string, string[]>;
let killed = 0;
const cleanFull = new Map<string, string>();
const keyOf = (row: unknown): string => {
  const { folder, uid } = row as { folder: string; uid: number };
  return `${folder}/${uid}`;
};
const bodyOf = (row: unknown): string => {
  const { text, html, attachments } = row as Record<string, unknown>;
  return JSON.stringify({ text, html, attachments });
};
// Kills that found some messages copied and some not: the moments that matter most.
let killedMidway = 0;

/** How many messages a killed CLI run had delivered: rows written, or messages stored. */
async function progressOf(
  kind: 'read' | 'archive' | 'imap',
  dir: string,
  target: { name: string; password: string },
): Promise<number> {
  const count = (hashes: Record<string, string[]>): number =>
    Object.values(hashes).reduce((sum, list) => sum + list.length, 0);
  if (kind === 'read') {
    const path = join(dir, 'rows.ndjson');
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).length : 0;
  }
  if (kind === 'archive') {
    // Killed before its tables were made, the archive file is there but empty: no archive yet.
    try {
      return count(archiveHashes(join(dir, 'm.archive'), `${source.name}@127.0.0.1`));
    } catch (error) {
      if ((error as { code?: string }).code === 'ARCHIVE_INVALID') return 0;
      throw error;
    }
  }
  return count(await mailboxHashes(target));
}

/** The matrix's mailbox, seeded into `user`: the same messages every time. */
async function seedMatrixMailbox(user: { name: string; password: string }): Promise<void> {
  await seedMailbox(dovecot(), user, {
    INBOX: Array.from({ length: MESSAGES - 6 }, (_, i) => ({
      source: message(`Matrix ${i}`, { body: `line ${i}\r\n`.repeat(40 + i * 20) }),
    })),
    Archive: Array.from({ length: 6 }, (_, i) => ({ source: message(`Filed ${i}`, { id: null }) })),
  });
}

beforeAll(async () => {
  proxy = await startFaultProxy(dovecot().imapPort);
  source = freshUser('fm');
  await seedMatrixMailbox(source);
  expected = await mailboxHashes(source);
  // Full rows of a clean read: what every full read through a fault must give again.
  for await (const row of readStream(makeConfig(source), 'ALL', { select: 'full' }))
    cleanFull.set(keyOf(row), bodyOf(row));
});
afterAll(async () => {
  await proxy.close();
});

/** The source config (of `user`): through the proxy when the fault is on the source side. */
function sourceConfig(trial: Trial, user = source): Record<string, unknown> {
  return makeConfig(user, {
    timeout: 1500,
    reconnectAttempts: 4,
    reconnectDelay: 10,
    maxQueueDepth: 5,
    ...(trial.side === 'source' ? { port: proxy.port } : {}),
  });
}

/** An import's destination account: through the proxy when the fault is on its side. */
function targetConfig(
  trial: Trial,
  user: { name: string; password: string },
): Record<string, unknown> {
  return makeConfig(user, {
    isTarget: true,
    isSource: false,
    timeout: 1500,
    ...(trial.side === 'destination' ? { port: proxy.port } : {}),
  });
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const seeds = Array.from({ length: TRIALS }, (_, i) => FIRST_SEED + i);

describe(`the random-fault matrix (${TRIALS} trials per path, first seed ${FIRST_SEED})`, () => {
  it.each(seeds)('read --all through a fault, seed %i: every message once', async (seed) => {
    const trial = trialOf(seed, ['source']);
    // Every other trial reads full rows: their parts are fetched by section, after the rest.
    const select = seed % 2 === 0 ? 'full' : 'envelope';
    proxy.set(trial.mode);
    const got: Record<string, string[]> = {};
    for await (const row of readStream(sourceConfig(trial), 'ALL', { raw: true, select })) {
      const { folder, raw } = row as { folder: string; raw: string };
      (got[folder] ??= []).push(sha(Buffer.from(raw, 'base64')));
      if (select === 'full')
        expect(bodyOf(row), `seed ${seed}: ${keyOf(row)}`).toBe(cleanFull.get(keyOf(row)));
    }
    proxy.set({ kind: 'pass' });
    for (const list of Object.values(got)) list.sort();
    expect(got, `seed ${seed}: ${JSON.stringify(trial)}`).toEqual(expected);
  });

  it.each(seeds)('import into the archive through a fault, seed %i: exact', async (seed) => {
    const trial = trialOf(seed, ['source']);
    const archive = join(tempDir(), 'm.archive');
    proxy.set(trial.mode);
    await runImport(sourceConfig(trial), { destination: { archive } });
    proxy.set({ kind: 'pass' });
    expect(
      archiveHashes(archive, `${source.name}@127.0.0.1`),
      `seed ${seed}: ${JSON.stringify(trial)}`,
    ).toEqual(expected);
  });

  it.each(seeds)(
    'import into another account through a fault on either side, seed %i: exact',
    async (seed) => {
      const trial = trialOf(seed, ['source', 'destination']);
      const target = freshUser('ft');
      const connection = targetConfig(trial, target);
      proxy.set(trial.mode);
      await runImport(sourceConfig(trial), {
        destination: { connection, state: join(tempDir(), 'state.db') },
      });
      proxy.set({ kind: 'pass' });
      expect(await mailboxHashes(target), `seed ${seed}: ${JSON.stringify(trial)}`).toEqual(
        expected,
      );
    },
  );

  it.each(seeds)(
    'import with post-read delete through a fault on either side, seed %i: exact, and each message deleted only once stored',
    async (seed) => {
      const trial = trialOf(seed, ['source', 'destination']);
      // Its own source, as the run empties it.
      const emptied = freshUser('fd');
      await seedMatrixMailbox(emptied);
      const target = freshUser('ft');
      const connection = targetConfig(trial, target);
      proxy.set(trial.mode);
      await runImport(sourceConfig(trial, emptied), {
        destination: { connection, state: join(tempDir(), 'state.db') },
        postReadAction: { type: 'delete' },
      });
      proxy.set({ kind: 'pass' });
      // A message deleted before the destination held it would be missing from both; one whose
      // delete was cut off and taken for done would still be at the source.
      const context = `seed ${seed}: ${JSON.stringify(trial)}`;
      expect(await mailboxHashes(target), context).toEqual(expected);
      expect(Object.values(await mailboxHashes(emptied)).flat(), context).toEqual([]);
    },
  );

  it.each(seeds)(
    'a batch of three mailboxes through a fault, seed %i: each exact',
    async (seed) => {
      const trial = trialOf(seed, ['source']);
      const others = [freshUser('fb'), freshUser('fb')];
      await Promise.all(
        others.map((user, i) =>
          seedMailbox(dovecot(), user, {
            INBOX: Array.from({ length: 4 + i }, (_, n) => ({
              source: message(`${user.name} ${n}`),
            })),
          }),
        ),
      );
      const accounts = [source, ...others];
      const { dir, profile } = archiveProfile(`matrix-${seed}`, accounts, {
        source: {
          server: '127.0.0.1',
          port: proxy.port,
          security: 'none',
          timeout: 1500,
          reconnectAttempts: 4,
          reconnectDelay: 10,
        },
        throttle: { parallelMailboxes: 2, retryDelaySeconds: 0 },
      });
      proxy.set(trial.mode);
      const report = await runBatch(profile);
      proxy.set({ kind: 'pass' });
      expect(report.status, `seed ${seed}: ${JSON.stringify(trial)}`).toBe('done');
      for (const account of accounts)
        expect(
          archiveHashes(join(dir, 'mail.archive'), `${account.name}@127.0.0.1`),
          `seed ${seed}: ${JSON.stringify(trial)}`,
        ).toEqual(await mailboxHashes(account));
    },
  );

  it.each(seeds)(
    'a CLI run killed with SIGKILL at a random moment and run again, seed %i: exact',
    async (seed) => {
      const next = seededRandom(seed);
      const kind = (['read', 'archive', 'imap'] as const)[Math.floor(next() * 3)]!;
      // Timed from the run's first connection, not from its spawn: how long a CLI takes to
      // start depends on the machine's load, and would decide where the kill lands.
      const killAfterMs = 50 + Math.floor(next() * 1400);
      const dir = tempDir();
      proxy.set({ kind: 'pass' });
      writeFileSync(
        join(dir, 'source.json'),
        JSON.stringify({
          ...sourceConfig({ seed, side: 'source', mode: { kind: 'pass' } }),
          password: undefined,
          delayBetweenMessages: '0.04',
        }),
      );
      const target = freshUser('fk');
      writeFileSync(
        join(dir, 'target.json'),
        JSON.stringify({
          ...makeConfig(target, { isTarget: true, isSource: false }),
          password: undefined,
        }),
      );
      const args = {
        read: [
          'read',
          '--config',
          join(dir, 'source.json'),
          '--query',
          'ALL',
          '--all',
          '--raw',
          '--state',
          join(dir, 'read.state'),
          '--out',
          join(dir, 'rows.ndjson'),
        ],
        archive: [
          'import',
          '--config',
          join(dir, 'source.json'),
          '--archive',
          join(dir, 'm.archive'),
        ],
        imap: cliImportArgs(dir),
      }[kind];
      const env = {
        ...process.env,
        IMAP_PASSWORD: source.password,
        IMAP_TARGET_PASSWORD: target.password,
      };
      const run = (): { exited: Promise<number | null>; kill: () => boolean } => {
        const child = spawn(process.execPath, [CLI, ...args], {
          env,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        return {
          exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
          kill: () => child.exitCode === null && child.kill('SIGKILL'),
        };
      };
      let stderr = '';
      const connectionsBefore = proxy.accepted();
      const first = run();
      let exited = false;
      void first.exited.then(() => (exited = true));
      const connected = (async () => {
        while (!exited && proxy.accepted() === connectionsBefore) await sleep(10);
      })();
      await Promise.race([first.exited, connected.then(() => sleep(killAfterMs))]);
      const wasKilled = first.kill();
      await first.exited;
      if (wasKilled) {
        killed++;
        const done = await progressOf(kind, dir, target);
        if (done > 0 && done < MESSAGES) killedMidway++;
      }
      const context = `seed ${seed}: ${kind}, SIGKILL ${killAfterMs} ms after it connected`;
      stderr = '';
      expect(await run().exited, `${context}\n${stderr}`).toBe(0);
      if (kind === 'read') {
        const got: Record<string, string[]> = {};
        for (const line of readFileSync(join(dir, 'rows.ndjson'), 'utf8').split('\n')) {
          if (line === '') continue;
          const { folder, raw } = JSON.parse(line) as { folder: string; raw: string };
          (got[folder] ??= []).push(sha(Buffer.from(raw, 'base64')));
        }
        for (const list of Object.values(got)) list.sort();
        expect(got, context).toEqual(expected);
      } else if (kind === 'archive') {
        expect(archiveHashes(join(dir, 'm.archive'), `${source.name}@127.0.0.1`), context).toEqual(
          expected,
        );
      } else {
        expect(await mailboxHashes(target), context).toEqual(expected);
      }
    },
  );

  it('met faults: the matrix is not a run of clean copies', () => {
    // Reported before the checks, so a failing run says what it met.
    if (process.env.FAULT_MATRIX_REPORT)
      console.log(
        `FAULT MATRIX: ${proxy.faults()} faults, ${killed} kills, ${killedMidway} midway`,
      );
    // Some offsets fall after the last byte a run needs, but most trials are cut or stalled.
    expect(proxy.faults()).toBeGreaterThanOrEqual(TRIALS * 2);
    // Some kills come after the run ended by itself; most land in the middle of it.
    expect(killed).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
    // Kills are timed from the run's first connection, but a loaded machine still slows the
    // run itself: the share of midway kills is checked in CI's long run, not in a few trials.
    if (TRIALS >= 20) expect(killedMidway).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 4));
  });
});

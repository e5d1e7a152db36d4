/**
 * The random-fault matrix: read --all (readStream), import into the archive, import into
 * another account and a batch of three mailboxes, each through the loopback fault proxy with the connection cut, or silenced,
 * at a seeded random byte offset on the source or the destination side, for a random number of
 * sessions in a row. The run goes on by itself (reconnect); every trial must end with exactly
 * the source's messages by content hash: 0 lost, 0 duplicated. A failing trial names its seed
 * (FAULT_MATRIX_SEED=<seed> replays it). FAULT_MATRIX_TRIALS sets the trials per path: a few in
 * the default run, 50 in .ci/run.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStream, runBatch, runImport } from '../../src/index.js';
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

beforeAll(async () => {
  proxy = await startFaultProxy(dovecot().imapPort);
  source = freshUser('fm');
  await seedMailbox(dovecot(), source, {
    INBOX: Array.from({ length: MESSAGES - 6 }, (_, i) => ({
      source: message(`Matrix ${i}`, { body: `line ${i}\r\n`.repeat(40 + i * 20) }),
    })),
    Archive: Array.from({ length: 6 }, (_, i) => ({ source: message(`Filed ${i}`, { id: null }) })),
  });
  expected = await mailboxHashes(source);
});
afterAll(async () => {
  await proxy.close();
});

/** The source config: through the proxy when the fault is on the source side. */
function sourceConfig(trial: Trial): Record<string, unknown> {
  return makeConfig(source, {
    timeout: 1500,
    reconnectAttempts: 4,
    reconnectDelay: 10,
    maxQueueDepth: 5,
    ...(trial.side === 'source' ? { port: proxy.port } : {}),
  });
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const seeds = Array.from({ length: TRIALS }, (_, i) => FIRST_SEED + i);

describe(`the random-fault matrix (${TRIALS} trials per path, first seed ${FIRST_SEED})`, () => {
  it.each(seeds)('read --all through a fault, seed %i: every message once', async (seed) => {
    const trial = trialOf(seed, ['source']);
    proxy.set(trial.mode);
    const got: Record<string, string[]> = {};
    for await (const row of readStream(sourceConfig(trial), 'ALL', { raw: true })) {
      const { folder, raw } = row as { folder: string; raw: string };
      (got[folder] ??= []).push(sha(Buffer.from(raw, 'base64')));
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
      const connection = makeConfig(target, {
        isTarget: true,
        isSource: false,
        timeout: 1500,
        ...(trial.side === 'destination' ? { port: proxy.port } : {}),
      });
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

  it('met faults: the matrix is not a run of clean copies', () => {
    // Some offsets fall after the last byte a run needs, but most trials are cut or stalled.
    expect(proxy.faults()).toBeGreaterThanOrEqual(TRIALS * 2);
  });
});

/**
 * What a queued batch says must be true when Redis or the people around it misbehave (issue
 * 24), each a case that was false on the previous main: Redis losing its data mid-batch (a
 * restart without persistence; here FLUSHALL, which leaves Redis the same way) gave a DONE
 * report of 0 mailboxes with 13 of 15 never imported, and the next run never ended; Ctrl-C of
 * the coordinator during preflight failed the unchecked mailboxes for good; two coordinators
 * each sent the report; a worker with a stale key failed every job it took; a port that is not
 * Redis crashed the CLI with a TypeError. Real redis-server, Dovecot and worker processes.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MailboxState } from '../../src/batch/mailbox-state.js';
import { isConnectorError } from '../../src/errors.js';
import { runQueuedBatch } from '../../src/queue/queue-batch.js';
import { connectRedis, parseQueueUrl, type QueueTarget } from '../../src/queue/queue-connection.js';
import { RedisRunRecords } from '../../src/queue/redis-run-records.js';
import { parseQueueKey } from '../../src/queue/sealed.js';
import {
  destinationAccount,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
  writePanelCsv,
  writeProfile,
  type Account,
} from '../helpers/batch-fixtures.js';
import { CLI, sleep } from '../helpers/cli.js';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { seedMailbox } from '../helpers/seed.js';
import { mswServer } from '../helpers/msw-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY_TEXT = randomBytes(32).toString('base64');
const KEY = parseQueueKey(KEY_TEXT);
// Whole batches through worker processes: seconds each, minutes with the slow ones.
const REALTIME = 180 * 1000;
let redis: RedisServer;
let queue: QueueTarget;
const workers = new Set<ChildProcess>();

function startWorker(key = KEY_TEXT): ChildProcess & { err: () => string } {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--queue', redis.bareUrl, '--concurrency', '2', '--lock-seconds', '3'],
    {
      env: {
        ...process.env,
        IMAP_CONNECTOR_QUEUE_PASSWORD: redis.password,
        IMAP_CONNECTOR_QUEUE_KEY: key,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  workers.add(child);
  child.once('exit', () => workers.delete(child));
  return Object.assign(child, { err: () => err });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  redis = await startRedis();
  queue = parseQueueUrl(redis.url);
  startWorker();
  startWorker();
}, 60_000);

afterAll(async () => {
  await Promise.all([...workers].map((child) => stopWorker(child)));
  await redis?.stop();
});

/** Accounts of `count` messages, copied with a delay per message so a batch can be cut. */
async function slowAccounts(accounts: number, count: number, prefix: string): Promise<Account[]> {
  const list = Array.from({ length: accounts }, () => freshUser(prefix));
  await Promise.all(
    list.map((account) =>
      seedMailbox(dovecot(), account, {
        INBOX: Array.from({ length: count }, (_, n) => ({
          source: message(`${account.name} ${n}`),
        })),
      }),
    ),
  );
  return list;
}

function queuedBatch(
  name: string,
  accounts: Account[],
  extra: Record<string, unknown> = {},
): { profile: string; targets: Account[] } {
  const targets = accounts.map(() => destinationAccount());
  const dir = tempDir();
  writePanelCsv(
    dir,
    accounts.map((account, i) => [account, targets[i]!]),
  );
  const profile = writeProfile(dir, {
    name,
    source: dovecotSource(),
    destination: { imap: dovecotSource() },
    mailboxes: { csv: 'panel.csv' },
    throttle: { parallelMailboxes: 4, maxConnectionsPerServer: 8, retryDelaySeconds: 1 },
    ...extra,
  });
  return { profile, targets };
}

async function expectExact(accounts: Account[], targets: Account[]): Promise<void> {
  for (const [i, account] of accounts.entries())
    expect(await mailboxHashes(targets[i]!), account.name).toEqual(await mailboxHashes(account));
}

describe('a queued batch whose Redis loses its data mid-run', () => {
  it(
    'fails loudly (BATCH_STATE_LOST, no report), and the next run imports every mailbox exactly',
    async () => {
      const accounts = await slowAccounts(6, 25, 'ql');
      const { profile, targets } = queuedBatch('lost', accounts, {
        throttle: { parallelMailboxes: 2, delayBetweenMessages: 0.03, retryDelaySeconds: 1 },
      });
      const client = await connectRedis(queue);
      let flushed = false;
      const first = await runQueuedBatch(profile, {
        queue,
        key: KEY,
        pollMs: 100,
        onProgress: (mailboxes: MailboxState[]) => {
          if (flushed || !mailboxes.some((m) => m.copied > 0)) return;
          flushed = true;
          void client.flushall();
        },
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      client.disconnect();
      expect(flushed).toBe(true);
      expect(isConnectorError(first) && first.code).toBe('BATCH_STATE_LOST');
      const second = await runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 });
      expect(second.totals).toMatchObject({ mailboxes: 6, done: 6, failed: 0 });
      await expectExact(accounts, targets);
    },
    REALTIME,
  );
});

describe('a coordinator stopped during the preflight', () => {
  it(
    'leaves the unchecked mailboxes queued, and the next run checks and imports them',
    async () => {
      const accounts = await seededAccounts(8, 'qp');
      const { profile, targets } = queuedBatch('preflight-stop', accounts, {
        throttle: { parallelMailboxes: 1 },
      });
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 150);
      const stopped = await runQueuedBatch(profile, {
        queue,
        key: KEY,
        signal: stop.signal,
      }).catch((error: unknown) => error);
      expect(isConnectorError(stopped) && stopped.code).toBe('ABORTED');
      const client = await connectRedis(queue);
      try {
        const records = new RedisRunRecords(client, 'preflight-stop');
        const run = (await records.runs()).at(-1)!;
        const rows = await records.mailboxes(run.id);
        expect(rows.filter((row) => row.status === 'failed')).toEqual([]);
      } finally {
        client.disconnect();
      }
      const report = await runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 });
      expect(report.totals).toMatchObject({ mailboxes: 8, done: 8, failed: 0 });
      await expectExact(accounts, targets);
    },
    REALTIME,
  );
});

describe('two coordinators following one run', () => {
  it(
    'send the report once',
    async () => {
      let posts = 0;
      const url = 'https://hooks.example.test/queued';
      mswServer.use(
        http.post(url, () => {
          posts++;
          return HttpResponse.text('ok');
        }),
      );
      const accounts = await seededAccounts(3, 'qn');
      const { profile } = queuedBatch('notify-once', accounts, {
        notify: { on: ['success', 'failure'], webhook: { url } },
      });
      const [a, b] = await Promise.all([
        runQueuedBatch(profile, { queue, key: KEY, pollMs: 100 }),
        runQueuedBatch(profile, { queue, key: KEY, pollMs: 100 }),
      ]);
      expect(a.runId).toBe(b.runId);
      expect(a.totals).toMatchObject({ mailboxes: 3, done: 3 });
      expect(posts).toBe(1);
    },
    REALTIME,
  );
});

describe("a worker whose queue key is not the batch's", () => {
  it(
    'stops with CONFIG_INVALID and gives the job back: no mailbox fails, the others import it',
    async () => {
      // Only the stale worker at first, so it is the one that takes the jobs.
      await Promise.all([...workers].map((child) => stopWorker(child)));
      const stale = startWorker(randomBytes(32).toString('base64'));
      const accounts = await seededAccounts(4, 'qs');
      const { profile, targets } = queuedBatch('stale-key', accounts);
      const running = runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 });
      const code = await new Promise<number | null>((resolve) => stale.once('exit', resolve));
      expect(code).toBe(2);
      expect(stale.err()).toMatch(/CONFIG_INVALID .*queue key does not open the jobs/);
      startWorker();
      startWorker();
      const report = await running;
      expect(report.totals).toMatchObject({ mailboxes: 4, done: 4, failed: 0 });
      expect(report.mailboxes.map((m) => m.attempts)).toEqual([1, 1, 1, 1]);
      await expectExact(accounts, targets);
    },
    REALTIME,
  );
});

describe('batch run --queue at what is not a healthy Redis', () => {
  const run = (url: string, profile: string) =>
    spawnSync(process.execPath, [CLI, 'batch', 'run', profile, '--queue', url], {
      encoding: 'utf8',
      env: {
        ...process.env,
        IMAP_CONNECTOR_QUEUE_KEY: KEY_TEXT,
        IMAP_CONNECTOR_QUEUE_PASSWORD: redis.password,
      },
      timeout: 30_000,
    });

  it('(an IMAP port) says QUEUE_UNAVAILABLE, what answered, and no stack trace, every time', async () => {
    const { profile } = queuedBatch('not-redis', [freshUser('qx')]);
    for (let i = 0; i < 6; i++) {
      const result = run(`redis://127.0.0.1:${dovecot().imapPort}`, profile);
      expect(result.status).toBe(4);
      expect(result.stderr).toMatch(/QUEUE_UNAVAILABLE .* is not Redis: it answered "\* OK/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('(a Redis that evicts and persists nothing) warns before the batch', async () => {
    const careless = await startRedis(['appendonly no', 'maxmemory-policy allkeys-lru']);
    try {
      const { profile } = queuedBatch('warned', [freshUser('qw')]);
      // No worker serves this Redis: the warnings come before the batch, then Ctrl-C.
      const child = spawn(
        process.execPath,
        [CLI, 'batch', 'run', profile, '--queue', careless.bareUrl],
        {
          env: {
            ...process.env,
            IMAP_CONNECTOR_QUEUE_KEY: KEY_TEXT,
            IMAP_CONNECTOR_QUEUE_PASSWORD: careless.password,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      for (let i = 0; i < 100 && !err.includes('persists nothing'); i++) await sleep(100);
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
      expect(err).toMatch(
        /warning: the queue's Redis may evict keys \(maxmemory-policy allkeys-lru\)/,
      );
      expect(err).toMatch(/warning: the queue's Redis persists nothing/);
    } finally {
      await careless.stop();
    }
  });
});

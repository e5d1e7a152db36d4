/**
 * Batches on a Redis queue (issue 14), with the real parts: a private redis-server, the private
 * Dovecot, and three worker processes (the CLI's `worker`) taking mailbox jobs. Every mailbox
 * must end exactly once at its destination (SHA-256 of every message), also when a worker is
 * killed mid-mailbox or Redis is restarted mid-batch; the connection cap holds for all workers
 * together (counted in a proxy in front of the source); a wrong password fails once, no loop.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../../src/queue/mailbox-job-data.js';
import { RedisRunRecords } from '../../src/queue/redis-run-records.js';
import { runQueuedBatch } from '../../src/queue/queue-batch.js';
import { parseQueueUrl, redisOptions, type QueueTarget } from '../../src/queue/queue-connection.js';
import { parseQueueKey, seal } from '../../src/queue/sealed.js';
import { connectRedis } from '../../src/queue/queue-connection.js';
import type { MailboxState } from '../../src/batch/mailbox-state.js';
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
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY_TEXT = randomBytes(32).toString('base64');
const KEY = parseQueueKey(KEY_TEXT);
let redis: RedisServer;
let queue: QueueTarget;
let proxy: FaultProxy;
const workers = new Map<number, ChildProcess>();

function startWorker(): ChildProcess {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--queue', redis.bareUrl, '--concurrency', '2', '--lock-seconds', '3'],
    {
      env: {
        ...process.env,
        IMAP_CONNECTOR_QUEUE_PASSWORD: redis.password,
        IMAP_CONNECTOR_QUEUE_KEY: KEY_TEXT,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  child.stderr!.resume();
  workers.set(child.pid!, child);
  child.once('exit', () => workers.delete(child.pid!));
  return child;
}

async function stopWorker(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

beforeAll(async () => {
  redis = await startRedis();
  queue = parseQueueUrl(redis.url);
  proxy = await startFaultProxy(dovecot().imapPort);
  for (let i = 0; i < 3; i++) startWorker();
}, 60_000);

afterAll(async () => {
  await Promise.all([...workers.values()].map((child) => stopWorker(child)));
  await proxy?.close();
  await redis?.stop();
});

/** A panel CSV batch from the accounts to new destination accounts; the source through the proxy. */
function panelBatch(
  name: string,
  accounts: Account[],
  throttle: Record<string, unknown> = {},
): { profile: string; targets: Account[] } {
  const targets = accounts.map(() => destinationAccount());
  const dir = tempDir();
  writePanelCsv(
    dir,
    accounts.map((account, i) => [account, targets[i]!]),
  );
  const profile = writeProfile(dir, {
    name,
    source: dovecotSource({ port: proxy.port }),
    destination: { imap: dovecotSource() },
    mailboxes: { csv: 'panel.csv' },
    throttle: {
      parallelMailboxes: 6,
      maxConnectionsPerServer: 3,
      retryDelaySeconds: 1,
      ...throttle,
    },
  });
  return { profile, targets };
}

/** Accounts with `count` messages each, for mailboxes that take a while. */
async function largerAccounts(accounts: number, count: number, prefix: string): Promise<Account[]> {
  const list = Array.from({ length: accounts }, () => freshUser(prefix));
  await Promise.all(
    list.map((account) =>
      seedMailbox(dovecot(), account, {
        INBOX: Array.from({ length: count }, (_, n) => ({
          source: message(`${account.name} ${n}`, { body: `${n}\r\n${'text\r\n'.repeat(50)}` }),
        })),
      }),
    ),
  );
  return list;
}

describe('a batch on the queue', () => {
  it('imports 30 mailboxes with three workers, each message exactly once, within the connection cap', async () => {
    const accounts = await seededAccounts(30, 'q');
    const { profile, targets } = panelBatch('thirty', accounts);
    const seenWorkers = new Set<string>();
    const report = await runQueuedBatch(profile, {
      queue,
      key: KEY,
      pollMs: 200,
      onProgress: (mailboxes) => {
        for (const m of mailboxes) if (m.worker) seenWorkers.add(m.worker);
      },
    });
    expect(report.totals).toMatchObject({ mailboxes: 30, done: 30, failed: 0 });
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(targets[i]!), account.name).toEqual(await mailboxHashes(account));
    // A server is a host and a port: the source (behind the proxy) and the destination are two
    // servers, three connections each, where three workers of two could run six. The proxy in
    // front of the source sees at most three sessions at once, over all workers.
    expect(proxy.peakConnections()).toBeLessThanOrEqual(3);
    expect(proxy.peakConnections()).toBeGreaterThanOrEqual(2);
    expect(report.peakConnections[`127.0.0.1:${proxy.port}`]).toBeLessThanOrEqual(3);
    expect(report.peakConnections[`127.0.0.1:${dovecot().imapPort}`]).toBeLessThanOrEqual(3);
    expect(seenWorkers.size).toBeGreaterThanOrEqual(2);
    // The same table from the CLI, from any machine that reaches Redis; no secret in it.
    const status = spawnSync(
      process.execPath,
      [CLI, 'batch', 'status', profile, '--queue', redis.bareUrl, '--json'],
      { env: { ...process.env, IMAP_CONNECTOR_QUEUE_PASSWORD: redis.password }, encoding: 'utf8' },
    );
    expect(status.status).toBe(0);
    const shown = JSON.parse(status.stdout) as {
      run: { status: string };
      mailboxes: MailboxState[];
    };
    expect(shown.run.status).toBe('done');
    expect(shown.mailboxes.filter((m) => m.status === 'done' && m.worker)).toHaveLength(30);
    for (const secret of [redis.password, ...accounts.map((a) => a.password)])
      expect(status.stdout + status.stderr).not.toContain(secret);
  }, 180_000);

  it('enqueues a run once: two runs of one profile started together follow one run, one job per mailbox', async () => {
    const accounts = await seededAccounts(3, 'qi');
    const { profile } = panelBatch('idempotent', accounts);
    const [a, b] = await Promise.all([
      runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 }),
      runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 }),
    ]);
    expect(a.runId).toBe(b.runId);
    expect(a.totals).toMatchObject({ mailboxes: 3, done: 3 });
    const jobs = new Queue(QUEUE_NAME, { connection: redisOptions(queue) });
    try {
      const ofBatch = async () =>
        (await jobs.getJobs(['completed', 'failed', 'waiting', 'active', 'delayed'])).filter(
          (job) => job.data.batch === 'idempotent',
        );
      expect(await ofBatch()).toHaveLength(3);
      // Finished: running it again starts run 2, copying nothing new.
      const again = await runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 });
      expect(again.runId).toBe(a.runId + 1);
      expect(again.totals).toMatchObject({ done: 3, copied: 0 });
      expect(await ofBatch()).toHaveLength(6);
    } finally {
      await jobs.close();
    }
  }, 120_000);

  it('gives a mailbox back on SIGTERM after the current step, and another worker finishes it exactly', async () => {
    const accounts = await largerAccounts(2, 150, 'qt');
    const { profile, targets } = panelBatch('sigterm', accounts, { delayBetweenMessages: 0.02 });
    let stopped: Promise<void> | undefined;
    const report = await runQueuedBatch(profile, {
      queue,
      key: KEY,
      pollMs: 100,
      onProgress: (mailboxes: MailboxState[]) => {
        if (stopped) return;
        const running = mailboxes.find((m) => m.status === 'running' && m.copied >= 20);
        const child = workers.get(Number(running?.worker?.split(':').at(-1)));
        if (child) stopped = stopWorker(child, 'SIGTERM');
      },
    });
    expect(stopped).toBeDefined();
    await stopped;
    startWorker();
    expect(report.totals).toMatchObject({ mailboxes: 2, done: 2, failed: 0 });
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(targets[i]!), account.name).toEqual(await mailboxHashes(account));
  }, 180_000);

  it('finishes a mailbox whose worker was killed (kill -9) on another worker, nothing lost or twice', async () => {
    const accounts = await largerAccounts(3, 150, 'qk');
    // 20 ms between messages: each mailbox takes a few seconds, long enough to be cut.
    const { profile, targets } = panelBatch('killed', accounts, { delayBetweenMessages: 0.02 });
    let killed: string | undefined;
    const report = await runQueuedBatch(profile, {
      queue,
      key: KEY,
      pollMs: 100,
      onProgress: (mailboxes: MailboxState[]) => {
        if (killed) return;
        const running = mailboxes.find((m) => m.status === 'running' && m.copied >= 20);
        const pid = Number(running?.worker?.split(':').at(-1));
        const child = workers.get(pid);
        if (!running || !child) return;
        killed = running.label;
        child.kill('SIGKILL');
      },
    });
    expect(killed).toBeDefined();
    startWorker(); // three again for the tests after this one
    expect(report.totals).toMatchObject({ mailboxes: 3, done: 3, failed: 0 });
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(targets[i]!), account.name).toEqual(await mailboxHashes(account));
    const cut = report.mailboxes.find((m) => m.label === killed)!;
    expect(cut.attempts).toBeGreaterThanOrEqual(1);
  }, 180_000);

  it('completes a batch across a Redis restart (append-only file on)', async () => {
    const accounts = await largerAccounts(4, 60, 'qr');
    const { profile, targets } = panelBatch('restart', accounts, { delayBetweenMessages: 0.02 });
    let restarted = false;
    const report = await runQueuedBatch(profile, {
      queue,
      key: KEY,
      pollMs: 100,
      onProgress: (mailboxes) => {
        if (restarted || !mailboxes.some((m) => m.copied > 0)) return;
        restarted = true;
        void redis.restart();
      },
    });
    expect(restarted).toBe(true);
    expect(report.totals).toMatchObject({ mailboxes: 4, done: 4, failed: 0 });
    for (const [i, account] of accounts.entries())
      expect(await mailboxHashes(targets[i]!), account.name).toEqual(await mailboxHashes(account));
  }, 180_000);

  it('refuses a POP3 source before anything is queued: its journal is a local file no worker shares', async () => {
    const [account] = await seededAccounts(1, 'qp');
    const { profile } = panelBatch('pop3-queued', [account!]);
    const settings = JSON.parse(readFileSync(profile, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      profile,
      JSON.stringify({
        ...settings,
        source: { ...dovecotSource({ port: dovecot().pop3Port }), protocol: 'pop3' },
      }),
    );
    await expect(runQueuedBatch(profile, { queue, key: KEY, pollMs: 200 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/source/protocol',
    });
    const client = await connectRedis(queue);
    try {
      expect(await new RedisRunRecords(client, 'pop3-queued').runs()).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('fails a mailbox whose login is refused once, as AUTH_FAILED, without a retry loop', async () => {
    // The preflight of `batch run` would stop a wrong password before it is queued, so this
    // job is queued as a changed password would leave it: straight to the workers.
    const client = await connectRedis(queue);
    const jobs = new Queue(QUEUE_NAME, { connection: redisOptions(queue) });
    try {
      const records = new RedisRunRecords(client, 'wrong-password');
      const run = await records.openRun('wrong-password', [{ key: 'k1', label: 'wrong', line: 1 }]);
      const target = destinationAccount();
      const job = await jobs.add(
        'wrong-password',
        {
          batch: 'wrong-password',
          runId: run.id,
          key: 'k1',
          label: 'wrong',
          servers: [`127.0.0.1:${dovecot().imapPort}`],
          maxConnectionsPerServer: 3,
          parallelMailboxes: 3,
          attempts: 3,
          sealed: seal(
            {
              source: { ...dovecotSource(), username: 'nobody-here', password: 'not-it' },
              spec: {
                destination: {
                  connection: {
                    ...dovecotSource(),
                    username: target.name,
                    password: target.password,
                    isTarget: true,
                    isSource: false,
                  },
                  state: 'queue',
                },
              },
            },
            KEY,
          ),
        },
        { attempts: 3, backoff: { type: 'fixed', delay: 200 } },
      );
      let state = await job.getState();
      for (let i = 0; i < 100 && state !== 'failed'; i++) {
        await sleep(100);
        state = await job.getState();
      }
      const failed = await jobs.getJob(job.id!);
      expect(state).toBe('failed');
      expect(failed!.attemptsMade).toBe(1);
      expect(failed!.failedReason).toMatch(/^AUTH_FAILED/);
      expect(failed!.failedReason).not.toContain('not-it');
      const row = await records.mailbox(run.id, 'k1');
      expect(row).toMatchObject({ status: 'failed', error: { code: 'AUTH_FAILED' } });
    } finally {
      await jobs.close();
      client.disconnect();
    }
  }, 60_000);
});

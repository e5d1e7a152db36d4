/**
 * `batch run PROFILE --queue URL`: the batch of batch/run-batch.ts on a Redis queue (BullMQ).
 * This process checks every mailbox (preflight), enqueues one job per mailbox of the run (the
 * job id names the run and the mailbox, so enqueuing twice adds nothing), then follows the
 * run's status table until every mailbox is done, failed or skipped, and writes, records and
 * sends the report as a local batch does. Workers on any machine do the imports (worker.ts).
 * Stopping this process stops the following only: `batch run --queue` again follows the same run.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { totalsOf, type BatchReport } from '../batch/batch-report.js';
import type { MailboxState, RunStatus } from '../batch/batch-state.js';
import { preflight } from '../batch/preflight.js';
import {
  prepareBatch,
  profileOf,
  reportRun,
  type BatchInput,
  type BatchOptions,
  type PreparedBatch,
} from '../batch/run-batch.js';
import { ServerSlots } from '../batch/server-slots.js';
import { sleep } from '../sleep.js';
import {
  BatchRecords,
  freshMailbox,
  jobIdOf,
  QUEUE_NAME,
  type MailboxJobData,
  type QueuedRun,
} from './batch-records.js';
import { connectRedis, redisOptions, type QueueTarget } from './queue-connection.js';
import { RedisSlots } from './redis-slots.js';
import { seal } from './sealed.js';

export interface QueueBatchOptions extends BatchOptions {
  queue: QueueTarget;
  key: Buffer;
  /** How often the status table is read while following (default 1 s). */
  pollMs?: number;
}

const FINAL = new Set(['done', 'failed', 'skipped']);

/**
 * Runs a batch on the queue, or follows the unfinished run of it, until it ends.
 * @throws CONFIG_INVALID / USAGE_INVALID before any I/O; QUEUE_UNAVAILABLE; ABORTED when the
 *   following is stopped (the workers go on).
 */
export async function runQueuedBatch(
  input: BatchInput,
  options: QueueBatchOptions,
): Promise<BatchReport> {
  const prepared = await prepareBatch(input, options);
  const redis = await connectRedis(options.queue);
  const queue = new Queue<MailboxJobData>(QUEUE_NAME, { connection: redisOptions(options.queue) });
  try {
    const records = new BatchRecords(redis, prepared.profile.name);
    const run = await records.openRun();
    await records.addMailboxes(
      run.id,
      prepared.jobs.map((job) => freshMailbox(job.entry.key, job.label, job.entry.line)),
    );
    const ended = await checkAndEnqueue(prepared, records, run, queue, options);
    if (!ended) await follow(records, run, options);
    return await finish(prepared, records, run, redis);
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * Preflight of the mailboxes not yet enqueued, then their jobs. Returns true when the run
 * ends here (a failed check and `preflight.onFailure: stop`).
 */
async function checkAndEnqueue(
  prepared: PreparedBatch,
  records: BatchRecords,
  run: QueuedRun,
  queue: Queue<MailboxJobData>,
  options: QueueBatchOptions,
): Promise<boolean> {
  const { profile } = prepared;
  const rows = new Map((await records.mailboxes(run.id)).map((m) => [m.key, m]));
  const pending = prepared.jobs.filter((job) => {
    const row = rows.get(job.entry.key);
    return row !== undefined && row.status === 'queued' && row.attempts === 0;
  });
  const existing = await Promise.all(
    pending.map((job) => queue.getJob(jobIdOf(profile.name, run.id, job.entry.key))),
  );
  const unsent = pending.filter((_, i) => existing[i] === undefined);
  const slots = new ServerSlots(profile.throttle.maxConnectionsPerServer);
  const checks = await preflight(unsent, profile, slots, options);
  for (const check of checks.filter((c) => !c.ok))
    await records.update(run.id, check.key, {
      status: 'failed',
      error: check.error ?? null,
      endedAt: new Date().toISOString(),
    });
  if (checks.some((c) => !c.ok) && profile.preflight.onFailure === 'stop') return true;
  for (const check of checks.filter((c) => c.ok && c.skip))
    await records.update(run.id, check.key, {
      status: 'skipped',
      error: { code: 'SKIPPED', message: `Skipped: ${check.skip}.` },
      endedAt: new Date().toISOString(),
    });
  const good = new Set(checks.filter((c) => c.ok && !c.skip).map((c) => c.key));
  const jobs = unsent.filter((job) => good.has(job.entry.key));
  await queue.addBulk(
    jobs.map((job) => ({
      name: profile.name,
      data: {
        batch: profile.name,
        runId: run.id,
        key: job.entry.key,
        label: job.label,
        servers: job.servers,
        maxConnectionsPerServer: profile.throttle.maxConnectionsPerServer,
        parallelMailboxes: profile.throttle.parallelMailboxes,
        sealed: seal({ source: job.source, spec: job.spec }, options.key),
      },
      opts: {
        jobId: jobIdOf(profile.name, run.id, job.entry.key),
        attempts: profile.throttle.attempts,
        backoff: { type: 'exponential', delay: profile.throttle.retryDelaySeconds * 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    })),
  );
  return false;
}

/** Reads the status table until every mailbox has ended, telling onProgress as it goes. */
async function follow(
  records: BatchRecords,
  run: QueuedRun,
  options: QueueBatchOptions,
): Promise<void> {
  for (;;) {
    const mailboxes = await records.mailboxes(run.id);
    options.onProgress?.(mailboxes);
    if (mailboxes.every((m) => FINAL.has(m.status))) return;
    await sleep(options.pollMs ?? 1000, options.signal);
  }
}

async function finish(
  prepared: PreparedBatch,
  records: BatchRecords,
  run: QueuedRun,
  redis: Redis,
): Promise<BatchReport> {
  const mailboxes = await records.mailboxes(run.id);
  const status: RunStatus = totalsOf(mailboxes).failed > 0 ? 'failed' : 'done';
  const slots = new RedisSlots(redis);
  const servers = [...new Set(prepared.jobs.flatMap((job) => job.servers))];
  const peaks = await Promise.all(
    servers.map(async (server) => [server, await slots.peak(`server:${server}`)] as const),
  );
  return reportRun(
    prepared,
    {
      runId: run.id,
      status,
      startedAt: run.startedAt,
      mailboxes,
      peakConnections: Object.fromEntries(peaks),
    },
    (report) => records.endRun(run, status, report),
  );
}

/** `batch status --queue`: the runs of a batch and the latest (or given) run's mailboxes. */
export async function queuedBatchStatus(
  input: BatchInput,
  options: { queue: QueueTarget; runId?: number },
): Promise<{ runs: QueuedRun[]; run?: QueuedRun; mailboxes: MailboxState[] }> {
  // Only the profile's name is needed: no mailbox list is read, no directory asked.
  const profile = profileOf(input);
  const redis = await connectRedis(options.queue);
  try {
    const records = new BatchRecords(redis, profile.name);
    const runs = await records.runs();
    const run =
      options.runId === undefined ? runs.at(-1) : runs.find((r) => r.id === options.runId);
    return { runs, ...(run ? { run } : {}), mailboxes: run ? await records.mailboxes(run.id) : [] };
  } finally {
    redis.disconnect();
  }
}

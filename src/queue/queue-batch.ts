/**
 * `batch run PROFILE --queue URL`: the batch engine's queued home (batch/run-batch.ts is the
 * local one; both share preparation, preflight verdicts, the attempt and the report). This
 * process checks every mailbox (preflight), enqueues one job per mailbox of the run (the job
 * id names the run and the mailbox, so enqueuing twice adds nothing), then follows the run's
 * status table until every mailbox is done, failed or skipped, and reports. Workers on any
 * machine do the imports (worker.ts). Stopping this process stops the following only: `batch
 * run --queue` again follows the same run.
 *
 * Redis may lose the run under it (a restart without persistence, evicted keys): the follower
 * then fails loudly with BATCH_STATE_LOST instead of reporting an emptied table as done, and
 * the next run enqueues every mailbox again (destinations skip what they hold). A mailbox
 * whose job vanished while its row did not is enqueued again as well (issue 24).
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { totalsOf, type BatchReport } from '../batch/batch-report.js';
import type { MailboxJob } from '../batch/mailbox-jobs.js';
import type { MailboxState, RunState, RunStatus } from '../batch/mailbox-state.js';
import { preflight } from '../batch/preflight.js';
import {
  prepareBatch,
  profileOf,
  type BatchInput,
  type BatchOptions,
  type PreparedBatch,
} from '../batch/prepare-batch.js';
import { recordPreflight } from '../batch/record-preflight.js';
import { reportRun } from '../batch/report-run.js';
import { ServerSlots } from '../batch/server-slots.js';
import { makeError } from '../errors.js';
import { abortedError, sleep } from '../sleep.js';
import { jobIdOf, QUEUE_NAME, type MailboxJobData } from './mailbox-job-data.js';
import { connectRedis, redisOptions, type QueueTarget } from './queue-connection.js';
import { redisWarnings } from './redis-check.js';
import { RedisRunRecords } from './redis-run-records.js';
import { RedisSlots } from './redis-slots.js';
import { seal } from './sealed.js';

export interface QueueBatchOptions extends BatchOptions {
  queue: QueueTarget;
  key: Buffer;
  /** How often the status table is read while following (default 1 s). */
  pollMs?: number;
  onProgress?: (mailboxes: MailboxState[]) => void;
  /** What a person should know about the queue's Redis (no persistence, eviction). */
  onWarning?: (text: string) => void;
}

const FINAL = new Set(['done', 'failed', 'skipped']);
// BullMQ's own attempts are a backstop: the row's attempt count decides (attempt-mailbox.ts).
const EXTRA_QUEUE_ATTEMPTS = 20;

/** The batch's queue, records and run, for one coordinating process. */
interface Coordinator {
  prepared: PreparedBatch;
  redis: Redis;
  queue: Queue<MailboxJobData>;
  records: RedisRunRecords;
  run: RunState;
  options: QueueBatchOptions;
}

/**
 * A POP3 source keeps each mailbox's journal (which messages it has, which it deleted) in a
 * local state file, which workers on other machines do not share: every mailbox would fail in
 * its worker. Refused before anything is queued.
 */
function refuseLocalOnly(prepared: PreparedBatch): void {
  if (prepared.profile.source.protocol === 'pop3')
    throw makeError(
      'CONFIG_INVALID',
      'A POP3 source keeps its journal in a local state file that the queue’s workers do not share: run this batch without --queue.',
      { field: '/source/protocol' },
    );
}

/**
 * Runs a batch on the queue, or follows the unfinished run of it, until it ends.
 * @throws CONFIG_INVALID / USAGE_INVALID before any I/O (a POP3 source among them);
 *   QUEUE_UNAVAILABLE; BATCH_STATE_LOST when Redis lost the run's records; ABORTED when the
 *   following is stopped (the workers go on).
 */
export async function runQueuedBatch(
  input: BatchInput,
  options: QueueBatchOptions,
): Promise<BatchReport> {
  const prepared = await prepareBatch(input, options);
  refuseLocalOnly(prepared);
  const redis = await connectRedis(options.queue);
  const queue = new Queue<MailboxJobData>(QUEUE_NAME, { connection: redisOptions(options.queue) });
  queue.on('error', () => undefined); // reported by the commands that fail
  try {
    for (const warning of await redisWarnings(redis)) options.onWarning?.(warning);
    const records = new RedisRunRecords(redis, prepared.profile.name);
    const listed = prepared.jobs.map((job) => ({
      key: job.entry.key,
      label: job.label,
      line: job.entry.line,
    }));
    const run = await records.openRun(prepared.profile.name, listed);
    const coordinator: Coordinator = { prepared, redis, queue, records, run, options };
    const ended = await checkAndEnqueue(coordinator);
    if (!ended) await follow(coordinator);
    return await finish(coordinator);
  } finally {
    await queue.close().catch(() => undefined);
    redis.disconnect();
  }
}

/** Rows not final whose job is not in the queue (never sent, or lost with a Redis restart). */
async function withoutJob(c: Coordinator, rows: MailboxState[]): Promise<MailboxState[]> {
  const open = rows.filter((row) => !FINAL.has(row.status));
  const jobs = await Promise.all(
    open.map((row) => c.queue.getJob(jobIdOf(c.prepared.profile.name, c.run.id, row.key))),
  );
  const missing: MailboxState[] = [];
  for (let i = 0; i < open.length; i++) {
    const job = jobs[i];
    const state = job ? await job.getState() : 'missing';
    // A job BullMQ ended while the row says otherwise lost its outcome: it is sent again.
    if (state === 'completed' || state === 'failed') await job!.remove();
    if (state === 'missing' || state === 'completed' || state === 'failed' || state === 'unknown')
      missing.push(open[i]!);
  }
  return missing;
}

/**
 * Preflight of the mailboxes never checked, then jobs for every mailbox that needs one. Returns
 * true when the run ends here (a failed check and `preflight.onFailure: stop`).
 */
async function checkAndEnqueue(c: Coordinator): Promise<boolean> {
  const { profile, jobs } = c.prepared;
  const missing = await withoutJob(c, await c.records.mailboxes(c.run.id));
  const byKey = new Map(jobs.map((job) => [job.entry.key, job]));
  const unchecked = missing.filter((row) => row.attempts === 0 && row.status !== 'running');
  const toCheck = unchecked.map((row) => byKey.get(row.key)).filter((job) => job !== undefined);
  for (const job of toCheck)
    await c.records.update(c.run.id, job.entry.key, { status: 'checking' });
  const slots = new ServerSlots(profile.throttle.maxConnectionsPerServer);
  const checks = await preflight(toCheck, profile, slots, {
    ...c.options,
    importedBefore: await c.records.importedBefore(),
  });
  const verdict = await recordPreflight(c.records, c.run.id, checks, profile);
  if (c.options.signal?.aborted) throw abortedError();
  if (verdict.stop) return true;
  const checked = new Set(unchecked.map((row) => row.key));
  const send = missing
    .filter((row) => (checked.has(row.key) ? verdict.ready.has(row.key) : true))
    .map((row) => byKey.get(row.key))
    .filter((job) => job !== undefined);
  await enqueue(c, send);
  return false;
}

async function enqueue(c: Coordinator, jobs: MailboxJob[]): Promise<void> {
  const { profile } = c.prepared;
  const { throttle } = profile;
  await c.queue.addBulk(
    jobs.map((job) => ({
      name: profile.name,
      data: {
        batch: profile.name,
        runId: c.run.id,
        key: job.entry.key,
        label: job.label,
        servers: job.servers,
        maxConnectionsPerServer: throttle.maxConnectionsPerServer,
        parallelMailboxes: throttle.parallelMailboxes,
        attempts: throttle.attempts,
        sealed: seal({ source: job.source, spec: job.spec }, c.options.key),
      },
      opts: {
        jobId: jobIdOf(profile.name, c.run.id, job.entry.key),
        attempts: throttle.attempts + EXTRA_QUEUE_ATTEMPTS,
        backoff: { type: 'exponential', delay: throttle.retryDelaySeconds * 1000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    })),
  );
}

// Every this many polls, mailboxes whose job vanished are enqueued again.
const REPAIR_EVERY_POLLS = 10;

/** Reads the status table until every mailbox has ended, telling onProgress as it goes. */
async function follow(c: Coordinator): Promise<void> {
  for (let poll = 1; ; poll++) {
    const lost = await c.records.lost(c.run.id);
    if (lost)
      throw makeError(
        'BATCH_STATE_LOST',
        `The queue's Redis lost batch ${JSON.stringify(c.prepared.profile.name)} while it ran: ${lost}.`,
        { details: { runId: c.run.id } },
      );
    const mailboxes = await c.records.mailboxes(c.run.id);
    c.options.onProgress?.(mailboxes);
    if (mailboxes.length > 0 && mailboxes.every((m) => FINAL.has(m.status))) return;
    if (poll % REPAIR_EVERY_POLLS === 0) {
      const byKey = new Map(c.prepared.jobs.map((job) => [job.entry.key, job]));
      const again = (await withoutJob(c, mailboxes)).filter((row) => row.attempts > 0);
      await enqueue(
        c,
        again.map((row) => byKey.get(row.key)).filter((job) => job !== undefined),
      );
    }
    await sleep(c.options.pollMs ?? 1000, c.options.signal);
  }
}

async function finish(c: Coordinator): Promise<BatchReport> {
  const mailboxes = await c.records.mailboxes(c.run.id);
  const status: RunStatus = totalsOf(mailboxes).failed > 0 ? 'failed' : 'done';
  const slots = new RedisSlots(c.redis);
  const servers = [...new Set(c.prepared.jobs.flatMap((job) => job.servers))];
  const peaks = await Promise.all(
    servers.map(async (server) => [server, await slots.peak(`server:${server}`)] as const),
  );
  return reportRun(c.prepared, c.records, {
    runId: c.run.id,
    status,
    startedAt: c.run.startedAt,
    mailboxes,
    peakConnections: Object.fromEntries(peaks),
  });
}

/** `batch status --queue`: the runs of a batch and the latest (or given) run's mailboxes. */
export async function queuedBatchStatus(
  input: BatchInput,
  options: { queue: QueueTarget; runId?: number },
): Promise<{ runs: RunState[]; run?: RunState; mailboxes: MailboxState[] }> {
  // Only the profile's name is needed: no mailbox list is read, no directory asked.
  const profile = profileOf(input);
  const redis = await connectRedis(options.queue);
  try {
    const records = new RedisRunRecords(redis, profile.name);
    const runs = await records.runs();
    const run =
      options.runId === undefined ? runs.at(-1) : runs.find((r) => r.id === options.runId);
    return { runs, ...(run ? { run } : {}), mailboxes: run ? await records.mailboxes(run.id) : [] };
  } finally {
    redis.disconnect();
  }
}

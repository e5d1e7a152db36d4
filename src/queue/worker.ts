/**
 * `imap-connector worker --queue URL`: takes mailbox jobs from the queue and imports each, on
 * as many machines as are started. The import's state lives in Redis (redis-job-state.ts), so
 * a worker killed mid-mailbox leaves it to another, which goes on from the last recorded step
 * once BullMQ sees the job stalled and the job's state lock has expired. Connection caps hold
 * for all workers together (redis-slots.ts). A retryable failure is retried with backoff up to
 * the profile's attempts; any other ends the job as failed at once, never in a loop.
 */
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { MailboxState } from '../batch/batch-state.js';
import { countsOf, doneRow, reported } from '../batch/run-batch.js';
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { runImport, type ImportOptions } from '../import/import-job.js';
import { partialImportResult, type FolderImportResult } from '../import/import-result.js';
import type { ImportSpec } from '../import/prepare-import.js';
import type { Logger } from '../operation-options.js';
import { BatchRecords, QUEUE_NAME, type MailboxJobData } from './batch-records.js';
import { connectRedis, redisOptions, type QueueTarget } from './queue-connection.js';
import { RedisStateStore } from './redis-job-state.js';
import { RedisSlots } from './redis-slots.js';
import { unseal } from './sealed.js';

export interface WorkerOptions {
  queue: QueueTarget;
  key: Buffer;
  /** Mailboxes this process imports at once (default 1). */
  concurrency?: number;
  /**
   * How long a job and its state stay locked without renewal (default 30 s): after a worker
   * dies, its mailbox waits about this long before another worker takes it.
   */
  lockSeconds?: number;
  logger?: Logger;
  /** Stops the worker: the imports stop after their current step, their jobs go back to the queue. */
  signal?: AbortSignal;
  /** Called when a job of this worker ends. */
  onJobEnd?: (key: string, status: 'done' | 'failed' | 'retry' | 'released') => void;
}

/** What a sealed job carries. */
interface MailboxLogins {
  source: Record<string, unknown>;
  spec: ImportSpec;
}

const passwordsOf = (logins: MailboxLogins): string[] => {
  const destination = logins.spec.destination as { connection?: Record<string, unknown> };
  return [logins.source.password, destination.connection?.password].filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
};

/** Runs a worker until `signal` stops it; resolves once its jobs are released or finished. */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const redis = await connectRedis(options.queue);
  const lockMs = (options.lockSeconds ?? 30) * 1000;
  const stateStore = new RedisStateStore(redis, lockMs);
  const slots = new RedisSlots(redis, lockMs);
  const name = `${hostname()}:${process.pid}`;
  const stopping = new AbortController();
  const worker = new Worker<MailboxJobData>(
    QUEUE_NAME,
    (job, token) =>
      processJob(job, token, { ...options, redis, stateStore, slots, name, stopping, lockMs }),
    {
      connection: redisOptions(options.queue),
      concurrency: options.concurrency ?? 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      // A killed worker is not the job's fault: it is taken up again, not failed.
      maxStalledCount: 20,
      name,
    },
  );
  worker.on('error', (error) =>
    options.logger?.warn({ src: 'worker', msg: `queue: ${String(error.message)}` }),
  );
  await new Promise<void>((resolve) => {
    if (options.signal?.aborted) return resolve();
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  stopping.abort();
  await worker.close();
  redis.disconnect();
}

interface JobContext extends WorkerOptions {
  redis: Redis;
  stateStore: RedisStateStore;
  slots: RedisSlots;
  name: string;
  stopping: AbortController;
  lockMs: number;
}

async function processJob(
  job: Job<MailboxJobData>,
  token: string | undefined,
  ctx: JobContext,
): Promise<unknown> {
  const data = job.data;
  const records = new BatchRecords(ctx.redis, data.batch);
  let logins: MailboxLogins;
  try {
    logins = unseal<MailboxLogins>(data.sealed, ctx.key);
  } catch (error) {
    // Another key will not appear by retrying: the job fails now, saying why.
    const shown = reported(error, []);
    await records.update(data.runId, data.key, { status: 'failed', error: shown });
    throw new UnrecoverableError(`${shown.code}: ${shown.message}`);
  }
  const before = await records.mailbox(data.runId, data.key);
  const attempt = job.attemptsMade + 1;
  await records.update(data.runId, data.key, {
    status: 'running',
    attempts: attempt,
    startedAt: new Date().toISOString(),
    worker: ctx.name,
    error: null,
  });
  const done: FolderImportResult[] = [];
  let lastFlush = 0;
  const importOptions: ImportOptions = {
    stateStore: ctx.stateStore,
    signal: ctx.stopping.signal,
    ...(ctx.logger ? { logger: ctx.logger } : {}),
    onProgress: (folder) => {
      const previous = done.at(-1);
      if (previous && previous.folder === folder.folder) done[done.length - 1] = { ...folder };
      else done.push({ ...folder });
      if (Date.now() - lastFlush < 1000) return;
      lastFlush = Date.now();
      void records
        .update(data.runId, data.key, addCarried(before, countsOf(done)))
        .catch(() => undefined);
    },
  };
  const spec: ImportSpec = {
    ...logins.spec,
    // A worker that died holding this mailbox keeps its state lock until it expires.
    waitForLock: Math.ceil((ctx.lockMs * 1.5) / 1000),
  };
  try {
    const result = await ctx.slots.with(
      [
        { name: `batch:${data.batch}`, cap: data.parallelMailboxes },
        ...data.servers.map((server) => ({
          name: `server:${server}`,
          cap: data.maxConnectionsPerServer,
        })),
      ],
      () => runImport(logins.source, spec, importOptions),
      ctx.stopping.signal,
    );
    await records.update(
      data.runId,
      data.key,
      doneRow(addCarried(before, countsOf(result.folders)), result),
    );
    ctx.onJobEnd?.(data.label, 'done');
    return result.totals;
  } catch (error) {
    const folders = partialImportResult(error)?.folders ?? [];
    const counts = addCarried(before, countsOf(folders));
    if (ctx.stopping.signal.aborted) {
      // Shutting down: the import stopped after a recorded step; the job goes back to the
      // queue for any worker, without counting as an attempt.
      await records.update(data.runId, data.key, { ...counts, status: 'queued' });
      await job.moveToDelayed(Date.now() + 100, token);
      ctx.onJobEnd?.(data.label, 'released');
      throw new DelayedError();
    }
    const classified: ConnectorError = isConnectorError(error)
      ? error
      : makeError('INTERNAL', String((error as Error)?.message ?? error));
    const retry = classified.retryable && attempt < (job.opts.attempts ?? 1);
    const shown = reported(classified, passwordsOf(logins));
    await records.update(data.runId, data.key, {
      ...counts,
      status: retry ? 'queued' : 'failed',
      endedAt: new Date().toISOString(),
      error: shown,
    });
    ctx.onJobEnd?.(data.label, retry ? 'retry' : 'failed');
    const message = `${shown.code}: ${shown.message}`;
    throw retry ? new Error(message) : new UnrecoverableError(message);
  }
}

const SUMMED = ['seen', 'copied', 'duplicates', 'failed', 'bytes'] as const;
const PER_FOLDER = ['seen', 'copied', 'duplicates', 'failed'] as const;

/**
 * This attempt's counts on top of what earlier attempts of the mailbox recorded (a retry, or a
 * worker killed midway: as of its last flush, at most a second old), so the row and the report
 * count the whole mailbox.
 */
export function addCarried(
  before: MailboxState | undefined,
  counts: Partial<MailboxState>,
): Partial<MailboxState> {
  if (!before || before.attempts === 0) return counts;
  const summed = Object.fromEntries(
    SUMMED.map((field) => [field, before[field] + (counts[field] ?? 0)]),
  ) as Pick<MailboxState, (typeof SUMMED)[number]>;
  const folders = new Map(before.folders.map((folder) => [folder.folder, { ...folder }]));
  for (const folder of counts.folders ?? []) {
    const merged = folders.get(folder.folder);
    if (!merged) folders.set(folder.folder, { ...folder });
    else for (const field of PER_FOLDER) merged[field] += folder[field];
  }
  return {
    ...counts,
    ...summed,
    folders: [...folders.values()],
    foldersDone: Math.max(before.foldersDone, counts.foldersDone ?? 0),
  };
}

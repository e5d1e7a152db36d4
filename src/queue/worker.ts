/**
 * `imap-connector worker --queue URL`: takes mailbox jobs from the queue and runs one attempt
 * of each (batch/attempt-mailbox.ts, as a local batch does), on as many machines as are
 * started. The import's state lives in Redis (redis-job-state.ts), so a worker killed
 * mid-mailbox leaves it to another, which goes on from the last recorded step once BullMQ sees
 * the job stalled and the job's state lock has expired. Connection caps hold for all workers
 * together (redis-slots.ts). A retryable failure is retried by BullMQ with backoff up to the
 * profile's attempts; any other ends the job as failed at once, never in a loop. A worker whose
 * key cannot open a job stops and gives the job back: the key is wrong, not the job.
 */
import { hostname } from 'node:os';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { attemptMailbox } from '../batch/attempt-mailbox.js';
import { makeError, type ConnectorError } from '../errors.js';
import type { ImportSpec } from '../import/prepare-import.js';
import type { Logger } from '../operation-options.js';
import { QUEUE_NAME, type MailboxJobData } from './mailbox-job-data.js';
import { connectRedis, redisOptions, type QueueTarget } from './queue-connection.js';
import { RedisStateStore } from './redis-job-state.js';
import { redisWarnings } from './redis-check.js';
import { RedisRunRecords } from './redis-run-records.js';
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
  /** What a person should know about the queue's Redis (no persistence, eviction). */
  onWarning?: (text: string) => void;
  /** Called when a job of this worker ends. */
  onJobEnd?: (key: string, status: 'done' | 'failed' | 'retry' | 'released' | 'lost') => void;
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

interface JobContext extends WorkerOptions {
  redis: Redis;
  stateStore: RedisStateStore;
  slots: RedisSlots;
  name: string;
  stopping: AbortController;
  lockMs: number;
  /** Set when this worker cannot open its jobs: it stops, the jobs wait for another. */
  refused: (error: ConnectorError) => void;
}

/**
 * Runs a worker until `signal` stops it; resolves once its jobs are released or finished.
 * @throws CONFIG_INVALID when its key opens no job (after giving the job back).
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const redis = await connectRedis(options.queue);
  for (const warning of await redisWarnings(redis)) options.onWarning?.(warning);
  const lockMs = (options.lockSeconds ?? 30) * 1000;
  const stopping = new AbortController();
  let refusal: ConnectorError | undefined;
  const ctx: JobContext = {
    ...options,
    redis,
    stateStore: new RedisStateStore(redis, lockMs),
    slots: new RedisSlots(redis, lockMs),
    name: `${hostname()}:${process.pid}`,
    stopping,
    lockMs,
    refused: (error) => {
      refusal ??= error;
      stopping.abort();
    },
  };
  const worker = new Worker<MailboxJobData>(
    QUEUE_NAME,
    (job, token) => processJob(job, token, ctx),
    {
      connection: redisOptions(options.queue),
      concurrency: options.concurrency ?? 1,
      ...leaseOptions(lockMs),
      name: ctx.name,
    },
  );
  worker.on('error', (error) =>
    options.logger?.warn({ src: 'worker', msg: `queue: ${String(error.message)}` }),
  );
  await firstAbort(options.signal, stopping.signal);
  stopping.abort();
  await worker.close();
  redis.disconnect();
  if (refusal) throw refusal;
}

/** A job's lease: a killed worker is not the job's fault, it is taken up again, not failed. */
function leaseOptions(lockMs: number) {
  return { lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 20 };
}

/** Resolves when either signal aborts (the caller's stop, or the worker's own refusal). */
function firstAbort(outer: AbortSignal | undefined, own: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (outer?.aborted || own.aborted) return resolve();
    outer?.addEventListener('abort', () => resolve(), { once: true });
    own.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** The job's logins, or the worker's refusal: a key that opens no job fails no job. */
function loginsOf(job: Job<MailboxJobData>, ctx: JobContext): MailboxLogins | undefined {
  try {
    return unseal<MailboxLogins>(job.data.sealed, ctx.key);
  } catch {
    ctx.refused(
      makeError(
        'CONFIG_INVALID',
        `This worker's queue key does not open the jobs of batch ${JSON.stringify(job.data.batch)}: it stopped and left them to other workers.`,
        {
          field: '/queueKey',
          hint: 'Start the worker with the key the batch was enqueued with (IMAP_CONNECTOR_QUEUE_KEY or --queue-key-file).',
        },
      ),
    );
    return undefined;
  }
}

async function processJob(
  job: Job<MailboxJobData>,
  token: string | undefined,
  ctx: JobContext,
): Promise<unknown> {
  const data = job.data;
  const logins = loginsOf(job, ctx);
  if (!logins || ctx.stopping.signal.aborted) return release(job, token, ctx);
  const spec: ImportSpec = {
    ...logins.spec,
    // A worker that died holding this mailbox keeps its state lock until it expires.
    waitForLock: Math.ceil((ctx.lockMs * 1.5) / 1000),
  };
  const outcome = await attemptMailbox(
    { key: data.key, source: logins.source, spec },
    {
      records: new RedisRunRecords(ctx.redis, data.batch),
      runId: data.runId,
      maxAttempts: data.attempts,
      passwords: passwordsOf(logins),
      importOptions: {
        stateStore: ctx.stateStore,
        signal: ctx.stopping.signal,
        ...(ctx.logger ? { logger: ctx.logger } : {}),
      },
      withSlots: (work) => ctx.slots.with(slotsOf(data), work, ctx.stopping.signal),
      worker: ctx.name,
      stopping: () => ctx.stopping.signal.aborted,
    },
  );
  ctx.onJobEnd?.(data.label, outcome.status);
  if (outcome.status === 'done') return outcome.result.totals;
  if (outcome.status === 'released') return release(job, token, ctx);
  if (outcome.status === 'lost') {
    ctx.logger?.warn({ src: 'worker', msg: outcome.error.message });
    throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
  }
  const message = `${outcome.shown.code}: ${outcome.shown.message}`;
  throw outcome.status === 'retry' ? new Error(message) : new UnrecoverableError(message);
}

/** The caps a mailbox runs under: the batch's parallel mailboxes, each server's connections. */
function slotsOf(data: MailboxJobData): { name: string; cap: number }[] {
  return [
    { name: `batch:${data.batch}`, cap: data.parallelMailboxes },
    ...data.servers.map((server) => ({
      name: `server:${server}`,
      cap: data.maxConnectionsPerServer,
    })),
  ];
}

/** Back to the queue for any worker, without counting as an attempt. */
async function release(
  job: Job<MailboxJobData>,
  token: string | undefined,
  ctx: JobContext,
): Promise<never> {
  await job.moveToDelayed(Date.now() + 100, token);
  ctx.onJobEnd?.(job.data.label, 'released');
  throw new DelayedError();
}

/**
 * What a queued batch keeps in Redis besides its jobs: per batch the current run, per run its
 * start, end and report, and per mailbox the status table the batch runner, `batch status` and
 * the workers share (MailboxState, as the local batch keeps it in SQLite). Only the worker that
 * holds a mailbox's job writes its row.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { MailboxState, RunStatus } from '../batch/batch-state.js';
import { shortHash } from '../read/cursor.js';
import { sleep } from '../sleep.js';

export const QUEUE_NAME = 'imap-connector-mailboxes';
const PREFIX = 'imap-connector:batch';

/** The payload of one mailbox's job; the logins only sealed (sealed.ts). */
export interface MailboxJobData {
  batch: string;
  runId: number;
  key: string;
  label: string;
  servers: string[];
  maxConnectionsPerServer: number;
  parallelMailboxes: number;
  sealed: { iv: string; tag: string; data: string };
}

export interface QueuedRun {
  id: number;
  name: string;
  status: RunStatus | 'running';
  startedAt: string;
  endedAt: string | null;
}

/** A job id that names the run and the mailbox; BullMQ refuses ":" in custom ids. */
export function jobIdOf(batch: string, runId: number, key: string): string {
  return `${shortHash({ batch })}-r${runId}-${shortHash({ key })}`;
}

export class BatchRecords {
  constructor(
    private readonly redis: Redis,
    private readonly batch: string,
  ) {}

  private get base(): string {
    return `${PREFIX}:{${this.batch}}`;
  }

  private runKey(runId: number): string {
    return `${this.base}:run:${runId}`;
  }

  private mailboxesKey(runId: number): string {
    return `${this.base}:run:${runId}:mailboxes`;
  }

  /**
   * The run still going, else a new one. Two `batch run --queue` started together get the same
   * run: the choice is made under a short lock in Redis.
   */
  async openRun(): Promise<QueuedRun> {
    const lock = `${this.base}:opening`;
    const token = randomBytes(8).toString('hex');
    for (let wait = 20; (await this.redis.set(lock, token, 'PX', 10_000, 'NX')) !== 'OK'; )
      await sleep((wait = Math.min(wait * 2, 500)));
    try {
      return (await this.unfinishedRun()) ?? (await this.startRun());
    } finally {
      if ((await this.redis.get(lock)) === token) await this.redis.del(lock);
    }
  }

  /** The run still going (not ended), if any. */
  async unfinishedRun(): Promise<QueuedRun | undefined> {
    const runs = await this.runs();
    const last = runs.at(-1);
    return last && last.endedAt === null ? last : undefined;
  }

  async startRun(): Promise<QueuedRun> {
    const id = await this.redis.incr(`${this.base}:runs`);
    const run: QueuedRun = {
      id,
      name: this.batch,
      status: 'running',
      startedAt: new Date().toISOString(),
      endedAt: null,
    };
    await this.redis.hset(this.runKey(id), 'run', JSON.stringify(run));
    return run;
  }

  async runs(): Promise<QueuedRun[]> {
    const count = Number((await this.redis.get(`${this.base}:runs`)) ?? 0);
    const runs: QueuedRun[] = [];
    for (let id = 1; id <= count; id++) {
      const text = await this.redis.hget(this.runKey(id), 'run');
      if (text) runs.push(JSON.parse(text) as QueuedRun);
    }
    return runs;
  }

  async endRun(run: QueuedRun, status: RunStatus, report: unknown): Promise<void> {
    const ended: QueuedRun = { ...run, status, endedAt: new Date().toISOString() };
    await this.redis.hset(this.runKey(run.id), {
      run: JSON.stringify(ended),
      report: JSON.stringify(report),
    });
  }

  async report(runId: number): Promise<unknown> {
    const text = await this.redis.hget(this.runKey(runId), 'report');
    return text ? JSON.parse(text) : undefined;
  }

  /** Adds mailboxes the run does not list yet (a continued run keeps what it has). */
  async addMailboxes(runId: number, mailboxes: MailboxState[]): Promise<void> {
    const key = this.mailboxesKey(runId);
    for (const mailbox of mailboxes)
      await this.redis.hsetnx(key, mailbox.key, JSON.stringify(mailbox));
  }

  async mailboxes(runId: number): Promise<MailboxState[]> {
    const all = await this.redis.hgetall(this.mailboxesKey(runId));
    return Object.values(all)
      .map((text) => JSON.parse(text) as MailboxState)
      .sort((a, b) => a.line - b.line || a.key.localeCompare(b.key));
  }

  async mailbox(runId: number, key: string): Promise<MailboxState | undefined> {
    const text = await this.redis.hget(this.mailboxesKey(runId), key);
    return text ? (JSON.parse(text) as MailboxState) : undefined;
  }

  async update(runId: number, key: string, change: Partial<MailboxState>): Promise<MailboxState> {
    const current = await this.mailbox(runId, key);
    const next = { ...(current as MailboxState), ...change, key };
    await this.redis.hset(this.mailboxesKey(runId), key, JSON.stringify(next));
    return next;
  }
}

/** A mailbox's row before anything happened to it. */
export function freshMailbox(key: string, label: string, line: number): MailboxState {
  return {
    key,
    label,
    line,
    status: 'queued',
    attempts: 0,
    foldersDone: 0,
    foldersTotal: null,
    seen: 0,
    copied: 0,
    duplicates: 0,
    failed: 0,
    bytes: 0,
    startedAt: null,
    endedAt: null,
    error: null,
    folders: [],
  };
}

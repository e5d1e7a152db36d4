/**
 * A queued batch's records (RunRecords) in Redis, shared by the coordinator (`batch run
 * --queue`), `batch status` and the workers on every machine: per batch its runs, per run its
 * status, report and status table (MailboxState, as a local batch keeps it in SQLite).
 *
 * Redis that restarts without persistence loses all of it while workers go on (issue 24). So a
 * row is only ever changed, never made, by a worker (a row that vanished stays vanished, and
 * the worker says so), a run records when it was listed, and `lost()` tells a run whose
 * records vanished from one that is still there, for the coordinator to fail loudly.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ListedMailbox, MailboxState, RunState, RunStatus } from '../batch/mailbox-state.js';
import { freshMailbox } from '../batch/mailbox-row.js';
import type { RowGuard, RunRecords } from '../batch/run-records.js';
import { sleep } from '../sleep.js';

const PREFIX = 'imap-connector:batch';

// Replaces a row only when it still holds what was read: KEYS[1] the table, ARGV the key, the
// row as read and the new row. -1: the row is gone; 0: it changed meanwhile (read again). The
// merge is made in JS: Lua's cjson would turn an empty list into an object.
const REPLACE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

// Ends a run that has not ended: KEYS[1] the run's hash, ARGV[1] the ended run, ARGV[2] the report.
const END = `
local current = redis.call('HGET', KEYS[1], 'run')
if not current or cjson.decode(current).endedAt ~= cjson.null then return 0 end
redis.call('HSET', KEYS[1], 'run', ARGV[1], 'report', ARGV[2])
return 1
`;

export class RedisRunRecords implements RunRecords {
  constructor(
    private readonly redis: Redis,
    private readonly batch: string,
  ) {}

  /** Keys of one batch; `{batch}` is a hash tag, so a Redis Cluster keeps them on one node. */
  private get base(): string {
    return `${PREFIX}:{${this.batch}}`;
  }

  private runKey(runId: number): string {
    return `${this.base}:run:${runId}`;
  }

  private mailboxesKey(runId: number): string {
    return `${this.base}:run:${runId}:mailboxes`;
  }

  /** The run still going, else a new one; chosen under a short lock so two callers agree. */
  async openRun(name: string, mailboxes: readonly ListedMailbox[]): Promise<RunState> {
    const lock = `${this.base}:opening`;
    const token = randomBytes(8).toString('hex');
    for (let wait = 20; (await this.redis.set(lock, token, 'PX', 10_000, 'NX')) !== 'OK'; )
      await sleep((wait = Math.min(wait * 2, 500)));
    try {
      const run = (await this.unfinishedRun()) ?? (await this.startRun(name));
      const key = this.mailboxesKey(run.id);
      for (const mailbox of mailboxes)
        await this.redis.hsetnx(key, mailbox.key, JSON.stringify(freshMailbox(mailbox)));
      await this.redis.hset(this.runKey(run.id), 'listed', String(mailboxes.length));
      return run;
    } finally {
      if ((await this.redis.get(lock)) === token) await this.redis.del(lock);
    }
  }

  private async unfinishedRun(): Promise<RunState | undefined> {
    const last = (await this.runs()).at(-1);
    return last && last.endedAt === null ? last : undefined;
  }

  private async startRun(name: string): Promise<RunState> {
    const id = await this.redis.incr(`${this.base}:runs`);
    const run: RunState = {
      id,
      name,
      status: 'running',
      startedAt: new Date().toISOString(),
      endedAt: null,
    };
    await this.redis.hset(this.runKey(id), 'run', JSON.stringify(run));
    return run;
  }

  async runs(): Promise<RunState[]> {
    const count = Number((await this.redis.get(`${this.base}:runs`)) ?? 0);
    const runs: RunState[] = [];
    for (let id = 1; id <= count; id++) {
      const text = await this.redis.hget(this.runKey(id), 'run');
      if (text) runs.push(JSON.parse(text) as RunState);
    }
    return runs;
  }

  /**
   * Why the records of a run are not what the run listed (Redis lost them: restarted without
   * persistence, or evicted keys), or undefined when they are whole.
   */
  async lost(runId: number): Promise<string | undefined> {
    const [run, listed] = await this.redis.hmget(this.runKey(runId), 'run', 'listed');
    if (!run) return `the record of run ${runId} is gone`;
    const rows = await this.redis.hlen(this.mailboxesKey(runId));
    if (listed !== null && rows < Number(listed))
      return `${Number(listed) - rows} of the run's ${listed} mailbox rows are gone`;
    return undefined;
  }

  async endRun(runId: number, status: RunStatus, report: unknown): Promise<boolean> {
    const text = await this.redis.hget(this.runKey(runId), 'run');
    if (!text) return false;
    const ended = { ...(JSON.parse(text) as RunState), status, endedAt: new Date().toISOString() };
    const done = await this.redis.eval(
      END,
      1,
      this.runKey(runId),
      JSON.stringify(ended),
      JSON.stringify(report),
    );
    return done === 1;
  }

  async saveReport(runId: number, report: unknown): Promise<void> {
    await this.redis.hset(this.runKey(runId), 'report', JSON.stringify(report));
  }

  async report(runId: number): Promise<unknown> {
    const text = await this.redis.hget(this.runKey(runId), 'report');
    return text ? JSON.parse(text) : undefined;
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

  /** Changes an existing row (still the attempt's, with `expect`); false when it is not. */
  async update(
    runId: number,
    key: string,
    change: Partial<MailboxState>,
    expect?: RowGuard,
  ): Promise<boolean> {
    const table = this.mailboxesKey(runId);
    for (;;) {
      const current = await this.redis.hget(table, key);
      if (current === null) return false;
      const row = JSON.parse(current) as MailboxState;
      if (expect && (row.attempts !== expect.attempts || row.worker !== expect.worker))
        return false;
      const next = JSON.stringify({ ...row, ...change, key });
      const done = await this.redis.eval(REPLACE, 1, table, key, current, next);
      if (done !== 0) return done === 1;
    }
  }

  async importedBefore(): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const run of await this.runs())
      for (const mailbox of await this.mailboxes(run.id))
        if (mailbox.status === 'done') keys.add(mailbox.key);
    return keys;
  }
}

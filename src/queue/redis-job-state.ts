/**
 * The import job state in Redis, for workers on many machines (issue 14): the same JobState
 * the SQLite file gives one machine. A run takes the job's lock (SET NX with a random token,
 * renewed while it runs); every change is one Lua script that first checks the token, so a
 * worker that lost its job (paused past the lock's expiry, then taken over) can change nothing,
 * and above all cannot write an APPEND intent: it stops before sending. With Redis's
 * append-only file at `appendfsync always`, a change is on disk when the script returns.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { makeError } from '../errors.js';
import type { FailedMessage } from '../import/import-result.js';
import type { JobStateStore } from '../import/import-job.js';
import {
  REQUEUED,
  type CopiedMessage,
  type FolderProgress,
  type Intent,
  type JobState,
} from '../import/job-state.js';
import { sleep } from '../sleep.js';

export const STATE_PREFIX = 'imap-connector:state';
const LOCK_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

/** Keys of one job; `{job}` is a hash tag, so a Redis Cluster keeps them on one node. */
function keysOf(job: string) {
  const base = `${STATE_PREFIX}:{${job}}`;
  return {
    lock: `${base}:lock`,
    progress: `${base}:progress`,
    destination: `${base}:destination`,
    failed: `${base}:failed`,
    intent: `${base}:intent`,
    pending: `${base}:pending`,
    copied: `${base}:copied`,
    flagMark: `${base}:flag-mark`,
    meta: `${base}:meta`,
  };
}

// A folder name holds no NUL, so folder NUL uidvalidity NUL uid names a message unambiguously.
const SEP = '\u0000';
const field = (folder: string, uidValidity: string, uid: number): string =>
  `${folder}${SEP}${uidValidity}${SEP}${uid}`;
const uidOf = (name: string): number => Number(name.slice(name.lastIndexOf(SEP) + 1));

/**
 * Applies a list of changes if the caller still holds the lock. KEYS[1] lock, ARGV[1] token,
 * ARGV[2] the changes as JSON: [op, key, ...]. "advance" raises a folder's last UID; "purge"
 * removes every field of a hash (or member of a set) that starts with a prefix.
 */
const APPLY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for _, op in ipairs(cjson.decode(ARGV[2])) do
  local kind, key = op[1], op[2]
  if kind == 'hset' then redis.call('HSET', key, op[3], op[4])
  elseif kind == 'hdel' then redis.call('HDEL', key, op[3])
  elseif kind == 'sadd' then redis.call('SADD', key, op[3])
  elseif kind == 'srem' then redis.call('SREM', key, op[3])
  elseif kind == 'advance' then
    local current = redis.call('HGET', key, op[3])
    local uid = tonumber(op[5])
    local last = 0
    if current then
      local progress = cjson.decode(current)
      if progress.uidValidity == op[4] then last = progress.lastUid end
    end
    if uid > last then
      redis.call('HSET', key, op[3], cjson.encode({uidValidity = op[4], lastUid = uid}))
    end
  elseif kind == 'purge' then
    local prefix = op[3]
    if redis.call('TYPE', key).ok == 'hash' then
      for _, name in ipairs(redis.call('HKEYS', key)) do
        if string.sub(name, 1, #prefix) == prefix then redis.call('HDEL', key, name) end
      end
    else
      for _, name in ipairs(redis.call('SMEMBERS', key)) do
        if string.sub(name, 1, #prefix) == prefix then redis.call('SREM', key, name) end
      end
    end
  end
end
return 1
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Change = (string | number)[];

function lostLock(job: string): ReturnType<typeof makeError> {
  return makeError(
    'JOB_BUSY',
    `This worker no longer holds mailbox job ${job}: it was taken over after its lock expired, so nothing more is written or sent here.`,
    { details: { job } },
  );
}

export class RedisJobState implements JobState {
  private readonly keys;

  constructor(
    private readonly redis: Redis,
    private readonly job: string,
    private readonly token: string,
  ) {
    this.keys = keysOf(job);
  }

  private async apply(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    const applied = await this.redis.eval(
      APPLY,
      1,
      this.keys.lock,
      this.token,
      JSON.stringify(changes),
    );
    if (applied !== 1) throw lostLock(this.job);
  }

  async progress(folder: string): Promise<FolderProgress | undefined> {
    const value = await this.redis.hget(this.keys.progress, folder);
    return value ? (JSON.parse(value) as FolderProgress) : undefined;
  }

  async destinationOf(folder: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.destination, folder)) ?? undefined;
  }

  recordDestination(folder: string, destination: string): Promise<void> {
    return this.apply([['hset', this.keys.destination, folder, destination]]);
  }

  async replaced(): Promise<boolean> {
    return (await this.redis.hexists(this.keys.meta, 'replacedAt')) === 1;
  }

  async ranBefore(): Promise<boolean> {
    return (await this.redis.hvals(this.keys.progress)).some(
      (value) => (JSON.parse(value) as FolderProgress).lastUid > 0,
    );
  }

  markReplaced(): Promise<void> {
    const { progress, failed, intent, pending, copied, flagMark, meta } = this.keys;
    return this.apply([
      ...[progress, failed, intent, pending, copied, flagMark].map((key) => ['purge', key, '']),
      ['hset', meta, 'replacedAt', new Date().toISOString()],
    ]);
  }

  resetFolder(folder: string, uidValidity: string): Promise<void> {
    const prefix = `${folder}${SEP}`;
    return this.apply([
      ['purge', this.keys.failed, prefix],
      ['purge', this.keys.intent, prefix],
      ['purge', this.keys.pending, prefix],
      ['purge', this.keys.copied, prefix],
      ['hdel', this.keys.flagMark, folder],
      ['hset', this.keys.progress, folder, JSON.stringify({ uidValidity, lastUid: 0 })],
    ]);
  }

  /** Fields of a hash (or members of a set) for one folder and UIDVALIDITY, by UID. */
  private async entries(
    key: string,
    folder: string,
    uidValidity: string,
  ): Promise<[string, string][]> {
    const prefix = `${folder}${SEP}${uidValidity}${SEP}`;
    const all =
      key === this.keys.pending
        ? (await this.redis.smembers(key)).map((name): [string, string] => [name, ''])
        : Object.entries(await this.redis.hgetall(key));
    return all
      .filter(([name]) => name.startsWith(prefix))
      .sort((a, b) => uidOf(a[0]) - uidOf(b[0]));
  }

  async failed(folder: string, uidValidity: string): Promise<FailedMessage[]> {
    return (await this.entries(this.keys.failed, folder, uidValidity)).map(([name, value]) => ({
      uid: uidOf(name),
      ...(JSON.parse(value) as { code: string; message: string }),
    }));
  }

  async intents(folder: string, uidValidity: string): Promise<Intent[]> {
    return (await this.entries(this.keys.intent, folder, uidValidity)).map(
      ([, value]) => JSON.parse(value) as Intent,
    );
  }

  async pendingActions(folder: string, uidValidity: string): Promise<number[]> {
    return (await this.entries(this.keys.pending, folder, uidValidity)).map(([name]) =>
      uidOf(name),
    );
  }

  recordCopied(
    folder: string,
    uidValidity: string,
    copies: readonly CopiedMessage[],
  ): Promise<void> {
    return this.apply(
      copies.map((copy) => [
        'hset',
        this.keys.copied,
        field(folder, uidValidity, copy.uid),
        JSON.stringify(copy),
      ]),
    );
  }

  async copiedMessages(
    folder: string,
    uidValidity: string,
    uids?: readonly number[],
  ): Promise<CopiedMessage[]> {
    const values =
      uids === undefined
        ? (await this.entries(this.keys.copied, folder, uidValidity)).map(([, value]) => value)
        : uids.length === 0
          ? []
          : await this.redis.hmget(
              this.keys.copied,
              ...uids.map((uid) => field(folder, uidValidity, uid)),
            );
    return values
      .filter((value): value is string => value !== null)
      .map((value) => JSON.parse(value) as CopiedMessage);
  }

  async copiedInto(destination: string, exceptFolder: string): Promise<CopiedMessage[]> {
    const prefixes = Object.entries(await this.redis.hgetall(this.keys.destination))
      .filter(([folder, into]) => into === destination && folder !== exceptFolder)
      .map(([folder]) => `${folder}${SEP}`);
    if (prefixes.length === 0) return [];
    return Object.entries(await this.redis.hgetall(this.keys.copied))
      .filter(([name]) => prefixes.some((prefix) => name.startsWith(prefix)))
      .map(([, value]) => JSON.parse(value) as CopiedMessage);
  }

  forgetCopied(folder: string, uidValidity: string, uids: readonly number[]): Promise<void> {
    return this.apply(
      uids.map((uid) => ['hdel', this.keys.copied, field(folder, uidValidity, uid)]),
    );
  }

  async flagMark(folder: string, uidValidity: string): Promise<string | undefined> {
    const value = await this.redis.hget(this.keys.flagMark, folder);
    const mark = value ? (JSON.parse(value) as { uidValidity: string; modseq: string }) : undefined;
    return mark?.uidValidity === uidValidity ? mark.modseq : undefined;
  }

  setFlagMark(folder: string, uidValidity: string, modseq: string): Promise<void> {
    return this.apply([
      ['hset', this.keys.flagMark, folder, JSON.stringify({ uidValidity, modseq })],
    ]);
  }

  beginIntents(intents: readonly Intent[]): Promise<void> {
    return this.apply(
      intents.map((intent) => [
        'hset',
        this.keys.intent,
        field(intent.folder, intent.uidValidity, intent.uid),
        JSON.stringify(intent),
      ]),
    );
  }

  requeueIntent(
    folder: string,
    uidValidity: string,
    uid: number,
    failure: Omit<FailedMessage, 'uid'> = REQUEUED,
  ): Promise<void> {
    const name = field(folder, uidValidity, uid);
    return this.apply([
      ['hset', this.keys.failed, name, JSON.stringify(failure)],
      ['hdel', this.keys.intent, name],
    ]);
  }

  private completions(
    folder: string,
    uidValidity: string,
    uids: readonly number[],
    postAction: boolean,
  ): Change[] {
    return uids.flatMap((uid) => {
      const name = field(folder, uidValidity, uid);
      return [
        ['hdel', this.keys.intent, name],
        ['hdel', this.keys.failed, name],
        ...(postAction ? [['sadd', this.keys.pending, name]] : []),
        ['advance', this.keys.progress, folder, uidValidity, uid],
      ];
    });
  }

  complete(folder: string, uidValidity: string, uid: number, postAction: boolean): Promise<void> {
    return this.apply(this.completions(folder, uidValidity, [uid], postAction));
  }

  settle(
    folder: string,
    uidValidity: string,
    ok: readonly number[],
    failed: readonly FailedMessage[],
    postAction: boolean,
  ): Promise<void> {
    return this.apply([
      ...failed.flatMap((failure): Change[] => {
        const name = field(folder, uidValidity, failure.uid);
        return [
          ['hdel', this.keys.intent, name],
          [
            'hset',
            this.keys.failed,
            name,
            JSON.stringify({ code: failure.code, message: failure.message }),
          ],
          ['advance', this.keys.progress, folder, uidValidity, failure.uid],
        ];
      }),
      ...this.completions(folder, uidValidity, ok, postAction),
    ]);
  }

  listFailed(folder: string, uidValidity: string, failed: readonly FailedMessage[]): Promise<void> {
    return this.apply(
      failed.map((failure) => [
        'hset',
        this.keys.failed,
        field(folder, uidValidity, failure.uid),
        JSON.stringify({ code: failure.code, message: failure.message }),
      ]),
    );
  }

  forgetFailed(folder: string, uidValidity: string, uids: readonly number[]): Promise<void> {
    return this.apply(
      uids.map((uid) => ['hdel', this.keys.failed, field(folder, uidValidity, uid)]),
    );
  }

  clearActions(folder: string, uidValidity: string, uids: readonly number[]): Promise<void> {
    return this.apply(
      uids.map((uid) => ['srem', this.keys.pending, field(folder, uidValidity, uid)]),
    );
  }
}

/**
 * Job states in Redis: open() takes the job's lock (waiting up to waitMs for another worker's
 * run to end or its lock to expire), keeps it renewed, and gives the state; close() lets it go.
 */
export class RedisStateStore implements JobStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly lockTtlMs = LOCK_TTL_MS,
  ) {}

  async open(job: string, waitMs: number): Promise<{ state: JobState; close(): Promise<void> }> {
    const { lock } = keysOf(job);
    const token = randomBytes(16).toString('hex');
    const until = Date.now() + waitMs;
    while ((await this.redis.set(lock, token, 'PX', this.lockTtlMs, 'NX')) !== 'OK') {
      if (Date.now() >= until)
        throw makeError(
          'JOB_BUSY',
          `Another worker is importing this mailbox (job ${job}); it is tried again later.`,
          { details: { job } },
        );
      await sleep(Math.min(1000, Math.max(50, until - Date.now())));
    }
    const renew = setInterval(
      () => {
        this.redis.eval(RENEW, 1, lock, token, String(this.lockTtlMs)).catch(() => undefined);
      },
      Math.min(RENEW_EVERY_MS, this.lockTtlMs / 3),
    );
    renew.unref();
    return {
      state: new RedisJobState(this.redis, job, token),
      close: async () => {
        clearInterval(renew);
        await this.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
      },
    };
  }
}

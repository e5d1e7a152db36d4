/**
 * Connection caps that hold across every worker on every machine: a counting semaphore per
 * name in Redis (a sorted set of holders scored by when their lease ends). A worker killed while
 * holding a slot frees it when its lease runs out; a live holder renews its lease.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sleep } from '../sleep.js';

export const SLOTS_PREFIX = 'imap-connector:slots';

// KEYS[1] the slot set, KEYS[2] its peak; ARGV cap, holder, lease ms, how many. All of a
// holder's slots of one set are taken at once: taken one by one, six mailboxes needing two
// each could hold one each of six and wait for ever. Redis's own clock, so workers with skewed
// clocks agree.
const TAKE = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
local count = tonumber(ARGV[4])
if redis.call('ZCARD', KEYS[1]) + count > tonumber(ARGV[1]) then return 0 end
for i = 1, count do redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[3]), ARGV[2] .. '#' .. i) end
local held = redis.call('ZCARD', KEYS[1])
if held > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], held) end
return 1
`;

const RENEW = `
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
return redis.call('ZADD', KEYS[1], 'XX', 'CH', ms + tonumber(ARGV[2]), ARGV[1])
`;

export interface SlotRequest {
  /** e.g. server:imap.example.org or batch:<name> */
  name: string;
  cap: number;
}

export class RedisSlots {
  constructor(
    private readonly redis: Redis,
    private readonly leaseMs = 30_000,
  ) {}

  private key(name: string): string {
    return `${SLOTS_PREFIX}:${name}`;
  }

  /** The most holders a slot set had at once. */
  async peak(name: string): Promise<number> {
    return Number((await this.redis.get(`${this.key(name)}:peak`)) ?? 0);
  }

  /**
   * Runs `work` holding one slot of each request (the same name twice takes two, as a mailbox
   * on one server opens two connections there, but never more than the cap), all of one name
   * at once and the names in order, so two workers never wait on each other, waiting for free
   * slots; the leases are renewed while it runs.
   */
  async with<T>(requests: SlotRequest[], work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const holder = randomBytes(12).toString('hex');
    const wanted = new Map<string, SlotRequest & { count: number }>();
    for (const request of requests) {
      const same = wanted.get(request.name);
      // Never more than the cap: a mailbox whose source and destination are one server,
      // capped at one, takes the one slot (asking for two would wait for ever; issue 24).
      if (same) same.count = Math.min(same.count + 1, Math.max(1, request.cap));
      else wanted.set(request.name, { ...request, count: 1 });
    }
    const held: { key: string; members: string[] }[] = [];
    const renew = setInterval(
      () => {
        for (const { key, members } of held)
          for (const member of members)
            this.redis.eval(RENEW, 1, key, member, String(this.leaseMs)).catch(() => undefined);
      },
      Math.max(500, this.leaseMs / 3),
    );
    renew.unref();
    try {
      for (const request of [...wanted.values()].sort((a, b) => a.name.localeCompare(b.name))) {
        const key = this.key(request.name);
        for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
          const taken = await this.redis.eval(
            TAKE,
            2,
            key,
            `${key}:peak`,
            String(request.cap),
            holder,
            String(this.leaseMs),
            String(request.count),
          );
          if (taken === 1) break;
          await sleep(wait, signal);
        }
        held.push({
          key,
          members: Array.from({ length: request.count }, (_, i) => `${holder}#${i + 1}`),
        });
      }
      return await work();
    } finally {
      clearInterval(renew);
      for (const { key, members } of held)
        await this.redis.zrem(key, ...members).catch(() => undefined);
    }
  }
}

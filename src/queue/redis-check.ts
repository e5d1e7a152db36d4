/**
 * What the queue's Redis must be for a batch to survive it (issue 24): BullMQ needs
 * `maxmemory-policy noeviction` (an evicted key is a lost job or status row), and a Redis that
 * persists nothing loses every run and import state on a restart. Checked when a coordinator or
 * a worker starts; said as warnings, since a managed Redis may refuse CONFIG GET.
 */
import type { Redis } from 'ioredis';

async function setting(redis: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', name)) as string[];
    return reply[1];
  } catch {
    return undefined;
  }
}

/** Sentences for a person: what is wrong with this Redis for a batch, if anything. */
export async function redisWarnings(redis: Redis): Promise<string[]> {
  const warnings: string[] = [];
  const policy = await setting(redis, 'maxmemory-policy');
  if (policy !== undefined && policy !== 'noeviction')
    warnings.push(
      `the queue's Redis may evict keys (maxmemory-policy ${policy}): a batch then loses jobs and status rows; set maxmemory-policy noeviction`,
    );
  const appendonly = await setting(redis, 'appendonly');
  const save = await setting(redis, 'save');
  if (appendonly === 'no' && save === '')
    warnings.push(
      "the queue's Redis persists nothing (appendonly no, no save points): a restart loses every batch's runs and import state; set appendonly yes",
    );
  return warnings;
}

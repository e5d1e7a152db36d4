/**
 * The batch engine's two homes keep the same records (issue 25): one contract, run against
 * the SQLite file a local batch keeps beside its profile and against a real Redis, as the
 * queue's coordinator and workers share it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecords } from '../../src/batch/run-records.js';
import { SqliteRunRecords } from '../../src/batch/sqlite-run-records.js';
import { connectRedis, parseQueueUrl } from '../../src/queue/queue-connection.js';
import { RedisRunRecords } from '../../src/queue/redis-run-records.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { tempDir } from '../helpers/temp-dir.js';

let redis: RedisServer;
const closers: (() => void)[] = [];
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterAll(async () => {
  for (const close of closers) close();
  await redis?.stop();
});

const homes: [string, (name: string) => Promise<RunRecords>][] = [
  [
    'SQLite',
    async () => {
      const records = SqliteRunRecords.open(`${tempDir()}/batch.state`);
      closers.push(() => records.close());
      return records;
    },
  ],
  [
    'Redis',
    async (name) => {
      const client = await connectRedis(parseQueueUrl(redis.url));
      closers.push(() => client.disconnect());
      return new RedisRunRecords(client, name);
    },
  ],
];

const listed = [
  { key: 'b', label: 'bob', line: 2 },
  { key: 'a', label: 'alice', line: 1 },
];

describe.each(homes)('RunRecords (%s)', (_home, open) => {
  it('opens one run for two callers, adds mailboxes listed later, and lists rows in list order', async () => {
    const records = await open(`contract-open-${_home}`);
    const first = await records.openRun('batch', listed);
    const again = await records.openRun('batch', [
      ...listed,
      { key: 'c', label: 'carol', line: 3 },
    ]);
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ name: 'batch', status: 'running', endedAt: null });
    const rows = await records.mailboxes(first.id);
    expect(rows.map((row) => [row.key, row.status, row.attempts, row.copied])).toEqual([
      ['a', 'queued', 0, 0],
      ['b', 'queued', 0, 0],
      ['c', 'queued', 0, 0],
    ]);
    expect((await records.runs()).map((run) => run.id)).toEqual([first.id]);
  });

  it('changes a row only while it is still the attempt that wrote it', async () => {
    const records = await open(`contract-guard-${_home}`);
    const run = await records.openRun('batch', listed);
    expect(
      await records.update(run.id, 'a', { status: 'running', attempts: 1 }, { attempts: 0 }),
    ).toBe(true);
    expect(await records.update(run.id, 'a', { copied: 5, folders: [] }, { attempts: 1 })).toBe(
      true,
    );
    // An older attempt (or a worker of a run whose records were lost) writes nothing.
    expect(await records.update(run.id, 'a', { copied: 99 }, { attempts: 0 })).toBe(false);
    expect(await records.update(run.id, 'gone', { copied: 1 })).toBe(false);
    expect(await records.mailbox(run.id, 'a')).toMatchObject({
      status: 'running',
      attempts: 1,
      copied: 5,
      folders: [],
    });
  });

  it('ends a run once: the second end is refused, the report can be replaced, done rows are remembered', async () => {
    const records = await open(`contract-end-${_home}`);
    const run = await records.openRun('batch', listed);
    await records.update(run.id, 'a', { status: 'done' });
    expect(await records.endRun(run.id, 'done', { n: 1 })).toBe(true);
    expect(await records.endRun(run.id, 'failed', { n: 2 })).toBe(false);
    await records.saveReport(run.id, { n: 3 });
    expect(await records.report(run.id)).toEqual({ n: 3 });
    expect((await records.runs()).at(-1)).toMatchObject({ status: 'done' });
    expect([...(await records.importedBefore())]).toEqual(['a']);
    // Ended: the next open starts run 2.
    expect((await records.openRun('batch', listed)).id).toBe(run.id + 1);
  });
});

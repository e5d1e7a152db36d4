/**
 * One contract, two homes: the import job state in a SQLite file (one machine) and in Redis
 * (workers on many machines) must behave alike, since the import code cannot tell them apart.
 * The Redis one also guards its job with a lock: a worker that lost it can write nothing.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportState } from '../../src/import/import-state.js';
import { runImport } from '../../src/import/import-job.js';
import { READ_WHOLE, type JobState } from '../../src/import/job-state.js';
import { connectRedis, parseQueueUrl } from '../../src/queue/queue-connection.js';
import { RedisStateStore, STATE_PREFIX } from '../../src/queue/redis-job-state.js';
import { RedisSlots } from '../../src/queue/redis-slots.js';
import { openDatabase } from '../../src/sinks/sqlite-driver.js';
import { identify } from '../../src/write/message-identity.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const identity = identify(Buffer.from('Subject: s\r\n\r\nbody'));
let server: RedisServer;
let redis: Redis;
let jobs = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = await connectRedis(parseQueueUrl(server.url));
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/** Two states of different jobs in one home, so tests can check they stay apart. */
type Home = () => Promise<[JobState, JobState]>;

const sqlite: Home = async () => {
  const db = openDatabase(':memory:', { readonly: false, busyTimeoutMs: 0 });
  return [new ImportState(db, 'a'), new ImportState(db, 'b')];
};
const redisHome: Home = async () => {
  const store = new RedisStateStore(redis);
  jobs++;
  const a = await store.open(`a${jobs}`, 0);
  const b = await store.open(`b${jobs}`, 0);
  return [a.state, b.state];
};

describe.each([
  ['SQLite', sqlite],
  ['Redis', redisHome],
])('job state in %s', (_name, home) => {
  it('starts with no progress and advances to the highest settled UID', async () => {
    const [state] = await home();
    expect(await state.progress('INBOX')).toBeUndefined();
    await state.resetFolder('INBOX', '7');
    await state.complete('INBOX', '7', 3, false);
    await state.complete('INBOX', '7', 2, false);
    expect(await state.progress('INBOX')).toEqual({ uidValidity: '7', lastUid: 3 });
  });

  it('keeps an intent until the message is settled, and drops it on settle', async () => {
    const [state] = await home();
    await state.resetFolder('INBOX', '7');
    const intent = { folder: 'INBOX', uidValidity: '7', uid: 4, destination: 'INBOX', identity };
    await state.beginIntents([intent]);
    expect(await state.intents('INBOX', '7')).toEqual([intent]);
    expect((await state.progress('INBOX'))!.lastUid).toBe(0);
    await state.complete('INBOX', '7', 4, true);
    expect(await state.intents('INBOX', '7')).toEqual([]);
    expect(await state.pendingActions('INBOX', '7')).toEqual([4]);
    await state.clearActions('INBOX', '7', [4]);
    expect(await state.pendingActions('INBOX', '7')).toEqual([]);
  });

  it('requeues an unconfirmed intent as a failure to retry, without moving the checkpoint', async () => {
    const [state] = await home();
    await state.resetFolder('INBOX', '7');
    await state.beginIntents([
      { folder: 'INBOX', uidValidity: '7', uid: 2, destination: 'INBOX', identity },
    ]);
    await state.requeueIntent('INBOX', '7', 2);
    expect(await state.intents('INBOX', '7')).toEqual([]);
    expect((await state.failed('INBOX', '7')).map((f) => [f.uid, f.code])).toEqual([
      [2, 'CONNECTION_LOST'],
    ]);
    expect((await state.progress('INBOX'))!.lastUid).toBe(0);
  });

  it('requeues an intent with the failure it is given (a streamed message to read whole)', async () => {
    const [state] = await home();
    await state.resetFolder('INBOX', '7');
    await state.beginIntents([
      { folder: 'INBOX', uidValidity: '7', uid: 3, destination: 'INBOX', identity },
    ]);
    await state.requeueIntent('INBOX', '7', 3, READ_WHOLE);
    expect(await state.intents('INBOX', '7')).toEqual([]);
    expect(await state.failed('INBOX', '7')).toEqual([{ uid: 3, ...READ_WHOLE }]);
  });

  it('lists failed messages for a retry and forgets them once they succeed', async () => {
    const [state] = await home();
    await state.resetFolder('INBOX', '7');
    await state.settle(
      'INBOX',
      '7',
      [6],
      [{ uid: 5, code: 'MESSAGE_TOO_LARGE', message: 'too big' }],
      false,
    );
    expect((await state.progress('INBOX'))!.lastUid).toBe(6);
    expect(await state.failed('INBOX', '7')).toEqual([
      { uid: 5, code: 'MESSAGE_TOO_LARGE', message: 'too big' },
    ]);
    await state.listFailed('INBOX', '7', [{ uid: 9, code: 'PROTOCOL_ERROR', message: 'x' }]);
    expect((await state.progress('INBOX'))!.lastUid).toBe(6);
    await state.complete('INBOX', '7', 5, false);
    await state.forgetFailed('INBOX', '7', [9]);
    expect(await state.failed('INBOX', '7')).toEqual([]);
  });

  it('orders by UID, keeps folders with shared prefixes apart, and records destinations', async () => {
    const [state] = await home();
    await state.resetFolder('Sent', '1');
    await state.resetFolder('Sent Items', '1');
    const failure = (uid: number) => ({ uid, code: 'APPEND_FAILED', message: 'no' });
    await state.listFailed('Sent', '1', [failure(10), failure(9), failure(100)]);
    await state.listFailed('Sent Items', '1', [failure(1)]);
    expect((await state.failed('Sent', '1')).map((f) => f.uid)).toEqual([9, 10, 100]);
    expect((await state.failed('Sent Items', '1')).map((f) => f.uid)).toEqual([1]);
    await state.recordDestination('Sent', 'INBOX/Sent');
    expect(await state.destinationOf('Sent')).toBe('INBOX/Sent');
    expect(await state.destinationOf('Sent Items')).toBeUndefined();
  });

  it('forgets everything of a folder when its UIDVALIDITY changes, and keeps jobs apart', async () => {
    const [a, b] = await home();
    await a.resetFolder('INBOX', '1');
    await a.complete('INBOX', '1', 9, true);
    await a.settle('INBOX', '1', [], [{ uid: 10, code: 'APPEND_FAILED', message: 'no' }], false);
    await b.resetFolder('INBOX', '1');
    await a.resetFolder('INBOX', '2');
    expect(await a.progress('INBOX')).toEqual({ uidValidity: '2', lastUid: 0 });
    expect(await a.failed('INBOX', '1')).toEqual([]);
    expect(await a.pendingActions('INBOX', '1')).toEqual([]);
    expect(await b.progress('INBOX')).toEqual({ uidValidity: '1', lastUid: 0 });
  });

  it('notes a replace once: every folder of the job starts over, other jobs keep theirs', async () => {
    const [a, b] = await home();
    for (const folder of ['INBOX', 'Sent']) {
      await a.resetFolder(folder, '1');
      await a.settle(folder, '1', [4], [{ uid: 3, code: 'APPEND_FAILED', message: 'no' }], true);
    }
    await a.recordDestination('Sent', 'Sent Items');
    await b.resetFolder('INBOX', '1');
    await b.complete('INBOX', '1', 8, false);
    expect(await a.replaced()).toBe(false);
    await a.markReplaced();
    expect(await a.replaced()).toBe(true);
    expect(await b.replaced()).toBe(false);
    for (const folder of ['INBOX', 'Sent']) {
      expect(await a.progress(folder)).toBeUndefined();
      expect(await a.failed(folder, '1')).toEqual([]);
      expect(await a.pendingActions(folder, '1')).toEqual([]);
    }
    // Where the job put a folder stays: a replace empties it, it does not move it.
    expect(await a.destinationOf('Sent')).toBe('Sent Items');
    expect(await b.progress('INBOX')).toEqual({ uidValidity: '1', lastUid: 8 });
  });

  it('keeps copied messages and the flag mark per folder, forgets them on reset and replace', async () => {
    const [a, b] = await home();
    const copy = (uid: number, flags: string) => ({
      uid,
      flags,
      messageIdKey: uid === 2 ? undefined : `k${uid}`,
      headerDigest: `d${uid}`,
    });
    await a.resetFolder('INBOX', '1');
    await a.resetFolder('INBOX.x', '1');
    await a.recordCopied('INBOX', '1', [copy(3, '\\Seen'), copy(1, ''), copy(2, '$L \\Seen')]);
    await a.recordCopied('INBOX.x', '1', [copy(1, 'other')]);
    await a.recordCopied('INBOX', '1', [copy(1, '\\Flagged')]);
    expect(await a.copiedMessages('INBOX', '1')).toEqual([
      copy(1, '\\Flagged'),
      copy(2, '$L \\Seen'),
      copy(3, '\\Seen'),
    ]);
    expect(await a.copiedMessages('INBOX', '1', [3, 9])).toEqual([copy(3, '\\Seen')]);
    expect(await b.copiedMessages('INBOX', '1')).toEqual([]);
    await a.forgetCopied('INBOX', '1', [2]);
    expect((await a.copiedMessages('INBOX', '1')).map((c) => c.uid)).toEqual([1, 3]);
    expect(await a.flagMark('INBOX', '1')).toBeUndefined();
    await a.setFlagMark('INBOX', '1', '12345678901234567');
    expect(await a.flagMark('INBOX', '1')).toBe('12345678901234567');
    expect(await a.flagMark('INBOX', '2')).toBeUndefined();
    await a.resetFolder('INBOX', '2');
    expect(await a.copiedMessages('INBOX', '1')).toEqual([]);
    expect(await a.flagMark('INBOX', '1')).toBeUndefined();
    expect(await a.copiedMessages('INBOX.x', '1')).toEqual([copy(1, 'other')]);
    await a.markReplaced();
    expect(await a.copiedMessages('INBOX.x', '1')).toEqual([]);
  });

  it('says whether a run of the job dealt with a message already (replace mode empties nothing then)', async () => {
    const [a, b] = await home();
    expect(await a.ranBefore()).toBe(false);
    await a.resetFolder('INBOX', '1');
    await a.recordDestination('INBOX', 'INBOX');
    expect(await a.ranBefore()).toBe(false);
    await a.settle('INBOX', '1', [4], [], false);
    expect(await a.ranBefore()).toBe(true);
    expect(await b.ranBefore()).toBe(false);
    await b.resetFolder('Sent', '1');
    await b.settle('Sent', '1', [], [{ uid: 2, code: 'MESSAGE_UNPARSABLE', message: 'x' }], false);
    expect(await b.ranBefore()).toBe(true);
  });

  it("lists the copies of the job's other folders that go into one destination folder", async () => {
    const [a, b] = await home();
    const copy = (uid: number) => ({
      uid,
      flags: '',
      messageIdKey: `k${uid}`,
      headerDigest: `d${uid}`,
    });
    await a.recordDestination('INBOX', 'INBOX');
    await a.recordDestination('Old', 'INBOX');
    await a.recordDestination('Older', 'INBOX');
    await a.recordDestination('Sent', 'Sent');
    await b.recordDestination('Else', 'INBOX');
    await a.recordCopied('INBOX', '1', [copy(1)]);
    await a.recordCopied('Old', '5', [copy(2), copy(3)]);
    await a.recordCopied('Older', '6', [copy(4)]);
    await a.recordCopied('Sent', '1', [copy(5)]);
    await b.recordCopied('Else', '1', [copy(6)]);
    const uids = async (destination: string, except: string) =>
      (await a.copiedInto(destination, except)).map((c) => c.uid).sort((x, y) => x - y);
    expect(await uids('INBOX', 'INBOX')).toEqual([2, 3, 4]);
    expect(await uids('INBOX', 'Old')).toEqual([1, 4]);
    expect(await uids('Sent', 'Sent')).toEqual([]);
    expect(await uids('Nowhere', 'INBOX')).toEqual([]);
    expect(await a.copiedInto('INBOX', 'INBOX')).toContainEqual(copy(2));
  });
});

describe('the Redis job lock', () => {
  it('lets one worker hold a job: a second is refused with JOB_BUSY until the first lets go', async () => {
    const store = new RedisStateStore(redis);
    const first = await store.open('locked-job', 0);
    await expect(store.open('locked-job', 300)).rejects.toMatchObject({ code: 'JOB_BUSY' });
    await first.close();
    const second = await store.open('locked-job', 0);
    await second.close();
  });

  it('refuses every write of a worker whose lock was taken over, intents first', async () => {
    const store = new RedisStateStore(redis);
    const stale = await store.open('taken-job', 0);
    await stale.state.resetFolder('INBOX', '1');
    // The lock expired (a long pause) and another worker took the job.
    await redis.del(`${STATE_PREFIX}:{taken-job}:lock`);
    const current = await store.open('taken-job', 0);
    await expect(
      stale.state.beginIntents([
        { folder: 'INBOX', uidValidity: '1', uid: 1, destination: 'INBOX', identity },
      ]),
    ).rejects.toMatchObject({ code: 'JOB_BUSY' });
    expect(await current.state.intents('INBOX', '1')).toEqual([]);
    await current.state.complete('INBOX', '1', 1, false);
    expect((await current.state.progress('INBOX'))!.lastUid).toBe(1);
    await stale.close(); // lets go of nothing: the lock is not its own
    await expect(store.open('taken-job', 0)).rejects.toMatchObject({ code: 'JOB_BUSY' });
    await current.close();
  });
});

describe('connection slots shared by every worker', () => {
  it("never holds more than the cap, and takes a mailbox's two slots on one server together (no deadlock)", async () => {
    const slots = new RedisSlots(redis, 2000);
    let inside = 0;
    let most = 0;
    // Eight mailboxes, each needing two connections to one server capped at six: taken one at
    // a time, six of them could each hold one slot and wait for ever for a second.
    await Promise.all(
      Array.from({ length: 8 }, () =>
        slots.with(
          [
            { name: 'server:deadlock', cap: 6 },
            { name: 'server:deadlock', cap: 6 },
          ],
          async () => {
            inside++;
            most = Math.max(most, inside);
            await new Promise((resolve) => setTimeout(resolve, 50));
            inside--;
          },
        ),
      ),
    );
    expect(most).toBe(3);
    expect(await slots.peak('server:deadlock')).toBe(6);
  });
});

describe('a shared state store', () => {
  it('refuses the embedded archive as a destination, before any connection', async () => {
    const store = new RedisStateStore(redis);
    await expect(
      runImport(
        { server: '127.0.0.1', port: 1, security: 'none', username: 'u', password: 'p' },
        { destination: { archive: '/nonexistent/shared.archive' } },
        { stateStore: store },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/destination' });
  });
});

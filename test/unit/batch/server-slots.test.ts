import { describe, expect, it } from 'vitest';
import { ServerSlots } from '../../../src/batch/server-slots.js';

/** A piece of work that runs until release() is called. */
function held(): { promise: Promise<void>; release: () => void; started: boolean } {
  const entry = { started: false, release: () => undefined as void } as {
    promise: Promise<void>;
    release: () => void;
    started: boolean;
  };
  entry.promise = new Promise<void>((resolve) => (entry.release = resolve));
  return entry;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ServerSlots', () => {
  it('holds at most the cap per server, serving waiters in order', async () => {
    const slots = new ServerSlots(2);
    const work = [held(), held(), held()];
    const runs = work.map((w) =>
      slots.with(['a'], async () => {
        w.started = true;
        await w.promise;
      }),
    );
    await tick();
    expect(work.map((w) => w.started)).toEqual([true, true, false]);
    work[0]!.release();
    await tick();
    expect(work[2]!.started).toBe(true);
    work[1]!.release();
    work[2]!.release();
    await Promise.all(runs);
    expect(slots.peak.get('a')).toBe(2);
  });

  it('after lower(), hands no slot on until the count is under the lowered cap; never below one', async () => {
    const slots = new ServerSlots(3);
    const work = Array.from({ length: 5 }, held);
    const runs = work.map((w) =>
      slots.with(['a'], async () => {
        w.started = true;
        await w.promise;
      }),
    );
    await tick();
    expect(work.map((w) => w.started)).toEqual([true, true, true, false, false]);
    expect(slots.lower('a')).toBe(2);
    expect(slots.lower('a')).toBe(1);
    expect(slots.lower('a')).toBe(1);
    expect(slots.lowered.get('a')).toBe(1);
    work[0]!.release();
    await tick();
    expect(work[3]!.started).toBe(false);
    work[1]!.release();
    await tick();
    expect(work[3]!.started).toBe(false);
    work[2]!.release();
    await tick();
    expect(work[3]!.started).toBe(true);
    expect(work[4]!.started).toBe(false);
    work[3]!.release();
    await tick();
    expect(work[4]!.started).toBe(true);
    work[4]!.release();
    await Promise.all(runs);
  });

  it('lowers one server only', async () => {
    const slots = new ServerSlots(2);
    slots.lower('a');
    const both = [held(), held()];
    const runs = both.map((w) =>
      slots.with(['b'], async () => {
        w.started = true;
        await w.promise;
      }),
    );
    await tick();
    expect(both.map((w) => w.started)).toEqual([true, true]);
    both.forEach((w) => w.release());
    await Promise.all(runs);
  });
});

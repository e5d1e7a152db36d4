import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runPool } from '../../../src/batch/run-pool.js';
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

  // Issue 24: a mailbox whose source and destination are one server needs two slots there.
  it('runs a mailbox that needs two slots on a server capped at one (it takes the one)', async () => {
    const slots = new ServerSlots(1);
    let ran = false;
    await slots.with(['a:143', 'a:143'], async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(slots.peak.get('a:143')).toBe(1);
  });

  it('never lets mailboxes hold one slot each while waiting for their second', async () => {
    const slots = new ServerSlots(2);
    const work = [held(), held(), held()];
    const runs = work.map((w) =>
      slots.with(['a:143', 'a:143'], async () => {
        w.started = true;
        await w.promise;
      }),
    );
    await tick();
    // The first takes both slots at once; the others wait whole, holding nothing.
    expect(work.map((w) => w.started)).toEqual([true, false, false]);
    work[0]!.release();
    await tick();
    expect(work.map((w) => w.started)).toEqual([true, true, false]);
    work[1]!.release();
    await tick();
    work[2]!.release();
    await Promise.all(runs);
  });

  it('counts two ports of one host as two servers', async () => {
    const slots = new ServerSlots(1);
    const both = [held(), held()];
    const runs = [
      slots.with(['a:143'], async () => {
        both[0]!.started = true;
        await both[0]!.promise;
      }),
      slots.with(['a:993'], async () => {
        both[1]!.started = true;
        await both[1]!.promise;
      }),
    ];
    await tick();
    expect(both.map((w) => w.started)).toEqual([true, true]);
    both.forEach((w) => w.release());
    await Promise.all(runs);
  });
});

/**
 * Every topology ends (issue 24): random numbers of mailboxes run N at a time, each on one or
 * two of a few servers (the same server twice when source and destination are one), caps of
 * one and up, and throttles that lower a server's cap while mailboxes wait. A deadlock shows
 * as work that never finishes: the run is bounded in event-loop turns.
 */
describe('ServerSlots under random batch topologies', () => {
  const server = fc.constantFrom('h1:143', 'h1:993', 'h2:143');
  const topology = fc.record({
    cap: fc.integer({ min: 1, max: 4 }),
    parallel: fc.integer({ min: 1, max: 6 }),
    mailboxes: fc.array(fc.tuple(server, fc.option(server, { nil: undefined })), {
      minLength: 1,
      maxLength: 12,
    }),
    throttles: fc.array(fc.tuple(fc.nat(11), server), { maxLength: 6 }),
  });

  it('ends every run, whatever the caps, servers and throttles', async () => {
    await fc.assert(
      fc.asyncProperty(topology, async ({ cap, parallel, mailboxes, throttles }) => {
        const slots = new ServerSlots(cap);
        const finished: number[] = [];
        const pool = runPool(mailboxes, parallel, async ([source, destination], index) =>
          slots.with(destination ? [source, destination] : [source], async () => {
            for (const [at, throttled] of throttles) if (at === index) slots.lower(throttled);
            await tick();
            finished.push(index);
          }),
        );
        let settled = false;
        void pool.then(() => (settled = true));
        for (let turn = 0; turn < 200 && !settled; turn++) await tick();
        expect(settled).toBe(true);
        expect(finished.sort((a, b) => a - b)).toEqual(mailboxes.map((_, i) => i));
      }),
      { numRuns: 300 },
    );
  });
});

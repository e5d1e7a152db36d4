import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Deadline } from '../../../src/imap/deadline.js';

describe('Deadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('rejects with its timeout code when the budget runs out, and calls onExpire', async () => {
    const deadline = new Deadline(1000, 'CONNECT_TIMEOUT');
    const onExpire = vi.fn();
    const raced = deadline.race(new Promise(() => undefined), onExpire);
    const assertion = expect(raced).rejects.toMatchObject({
      code: 'CONNECT_TIMEOUT',
      details: { timeoutMs: 1000 },
    });
    await vi.advanceTimersByTimeAsync(1000);
    await assertion;
    expect(onExpire).toHaveBeenCalledOnce();
  });

  it('shares one budget across phases', async () => {
    const deadline = new Deadline(1000, 'OPERATION_TIMEOUT');
    await vi.advanceTimersByTimeAsync(600);
    expect(deadline.remaining()).toBe(400);
    const second = deadline.race(new Promise(() => undefined));
    const assertion = expect(second).rejects.toMatchObject({ code: 'OPERATION_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(400);
    await assertion;
    expect(() => deadline.check()).toThrow(/timeout of 1000 ms/);
  });

  it('settles with the promise and clears its timer', async () => {
    const deadline = new Deadline(1000, 'CONNECT_TIMEOUT');
    await expect(deadline.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(deadline.race(Promise.reject(new Error('inner')))).rejects.toThrow('inner');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with ABORTED when the signal fires', async () => {
    const controller = new AbortController();
    const deadline = new Deadline(10_000, 'CONNECT_TIMEOUT', controller.signal);
    const raced = deadline.race(new Promise(() => undefined));
    controller.abort();
    await expect(raced).rejects.toMatchObject({ code: 'ABORTED' });
    expect(() => deadline.check()).toThrow(/aborted/);
  });
});

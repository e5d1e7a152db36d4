import { afterEach, describe, expect, it, vi } from 'vitest';
import { Pace } from '../../../src/imap/pace.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Pace', () => {
  it('is full speed until the server throttles, then doubles a pause from 250 ms up to 30 s', () => {
    const pace = new Pace();
    expect(pace.pauseMs).toBe(0);
    const pauses = Array.from({ length: 9 }, () => {
      pace.slowDown();
      return pace.pauseMs;
    });
    expect(pauses).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(pace.throttled).toBe(9);
  });

  it('waits the pause before each step and halves it after 25 calm steps, back to full speed', async () => {
    vi.useFakeTimers();
    const pace = new Pace();
    pace.slowDown();
    pace.slowDown();
    expect(pace.pauseMs).toBe(500);
    let stepped = false;
    const step = pace.step(undefined).then(() => (stepped = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(stepped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await step;
    expect(stepped).toBe(true);
    const steps = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const next = pace.step(undefined);
        await vi.advanceTimersByTimeAsync(pace.pauseMs);
        await next;
      }
    };
    await steps(24);
    expect(pace.pauseMs).toBe(250);
    await steps(25);
    expect(pace.pauseMs).toBe(0);
  });

  it('stops a pause when the signal fires', async () => {
    const pace = new Pace();
    pace.slowDown();
    const controller = new AbortController();
    const step = pace.step(controller.signal);
    controller.abort();
    await expect(step).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

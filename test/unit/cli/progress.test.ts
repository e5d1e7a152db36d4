import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Pace, Progress } from '../../../src/cli/progress.js';
import { formatDuration } from '../../../src/date-text.js';

describe('Progress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The last line drawn. */
  const lastLine = (written: string[]): string => written.at(-1)!.trim();

  it('redraws on a timer while rows come in page bursts, with the pace and ETA of recent seconds', () => {
    const written: string[] = [];
    const progress = new Progress({ write: (t: string) => written.push(t) }, 1000);
    // Connecting takes 2 s: no row, no pace, no ETA yet.
    vi.advanceTimersByTime(2000);
    expect(lastLine(written)).toBe('0 of 1000 rows  0/s');
    // Then a page of 100 rows every second.
    for (let page = 0; page < 4; page++) {
      progress.add(100);
      vi.advanceTimersByTime(1000);
    }
    // 400 rows; the window (last 5 s) holds the 1 s of connecting: 400 rows in 5 s.
    expect(lastLine(written)).toBe('400 of 1000 rows  80/s  ETA 8 s');
    for (let page = 0; page < 5; page++) {
      progress.add(100);
      vi.advanceTimersByTime(1000);
    }
    // The window now holds only reading: 100/s, 100 rows left.
    expect(lastLine(written)).toBe('900 of 1000 rows  100/s  ETA 1 s');
    const drawn = written.length;
    vi.advanceTimersByTime(1000);
    expect(written.length).toBe(drawn + 4);
    progress.add(100);
    progress.finish();
    expect(written.at(-1)).toBe('\n');
    expect(written.at(-2)!.trim()).toMatch(/^1000 of 1000 rows {2}\d+\/s$/);
    // Finished: the timer is gone.
    vi.advanceTimersByTime(5000);
    expect(written.at(-1)).toBe('\n');
  });

  it('shows no ETA without a total', () => {
    const written: string[] = [];
    const progress = new Progress({ write: (t: string) => written.push(t) }, undefined);
    progress.add(50);
    vi.advanceTimersByTime(2000);
    expect(lastLine(written)).toBe('50 rows  25/s');
    progress.finish();
  });
});

describe('Pace', () => {
  it('gives no rate before a second has passed', () => {
    let now = 0;
    const pace = new Pace(() => now);
    pace.add(10);
    now = 500;
    expect(pace.rate()).toBeUndefined();
    now = 1000;
    expect(pace.rate()).toBe(10);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [59.4, '59 s'],
    [200, '3 min 20 s'],
    [7500, '2 h 5 min'],
  ])('%d seconds is %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

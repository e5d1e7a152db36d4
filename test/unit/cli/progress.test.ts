import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Progress } from '../../../src/cli/progress.js';

describe('Progress', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  it('shows rows, rate and ETA, redrawing at most ten times a second', () => {
    let text = '';
    const progress = new Progress({ write: (t: string) => (text += t) }, 100);
    vi.setSystemTime(1000);
    progress.add(10);
    expect(text).toBe('\r  10 of 100 rows  10/s  ETA 9s   ');
    progress.add(5);
    expect(text.split('\r')).toHaveLength(2);
    vi.setSystemTime(2000);
    progress.finish();
    expect(text.endsWith('\r  15 of 100 rows  8/s  ETA 11s   \n')).toBe(true);
  });

  it('leaves out the ETA when the total is unknown', () => {
    let text = '';
    const progress = new Progress({ write: (t: string) => (text += t) }, undefined);
    vi.setSystemTime(500);
    progress.finish();
    expect(text).toBe('\r  0 rows  0/s   \n');
  });
});

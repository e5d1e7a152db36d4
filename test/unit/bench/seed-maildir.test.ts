import { describe, expect, it } from 'vitest';
import { benchMessage } from '../../../scripts/bench/seed-maildir.js';

describe('benchMessage', () => {
  it('is deterministic, so every benchmark run reads the same bytes', () => {
    expect(benchMessage(42)).toBe(benchMessage(42));
    expect(benchMessage(42)).not.toBe(benchMessage(43));
  });

  it('has the sizes and shapes the issue asks for', () => {
    const messages = Array.from({ length: 400 }, (_, i) => benchMessage(i));
    const sizes = messages.map((m) => Buffer.byteLength(m));
    const large = sizes.filter((s) => s > 100 * 1024);
    expect(large.length / sizes.length).toBeGreaterThan(0.02);
    expect(large.length / sizes.length).toBeLessThan(0.1);
    expect(Math.max(...sizes)).toBeLessThan(3 * 1024 * 1024);
    expect(sizes.filter((s) => s >= 2000 && s <= 60 * 1024).length / sizes.length).toBeGreaterThan(
      0.85,
    );
    expect(messages.filter((m) => m.includes('multipart/alternative')).length).toBeGreaterThan(60);
    expect(messages.filter((m) => m.includes('=?UTF-8?B?')).length).toBeGreaterThan(60);
  });
});

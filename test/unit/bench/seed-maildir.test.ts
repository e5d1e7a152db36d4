import { brotliCompressSync, constants } from 'node:zlib';
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

  it('gives the attachment mix: 20% of messages with 1-3 attachments of 50 KB - 5 MB', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => benchMessage(i, 'attachments'));
    const attachments = messages.map(
      (m) => (m.match(/^Content-Disposition: attachment/gm) ?? []).length,
    );
    const carrying = attachments.filter((n) => n > 0);
    expect(carrying.length / messages.length).toBeGreaterThan(0.16);
    expect(carrying.length / messages.length).toBeLessThan(0.24);
    expect(Math.min(...carrying)).toBe(1);
    expect(Math.max(...carrying)).toBe(3);
    const sizes = messages.map((m) => Buffer.byteLength(m));
    // base64 makes 5 MB of file about 6.8 MB of message; three of them at most.
    expect(Math.max(...sizes)).toBeGreaterThan(5 * 1024 * 1024);
    expect(Math.max(...sizes)).toBeLessThan(3 * 7 * 1024 * 1024);
    expect(benchMessage(5, 'attachments')).toBe(benchMessage(5, 'attachments'));
  });

  // Real attachments are compressed files: only base64's own overhead (a quarter) can be
  // taken out. A repeated block compressed to a tenth and misled every archive measurement.
  it("gives attachments that compress no better than real files' base64", () => {
    const carrying = Array.from({ length: 60 }, (_, i) => benchMessage(i, 'attachments')).filter(
      (m) => m.length > 500 * 1024,
    );
    expect(carrying.length).toBeGreaterThan(2);
    for (const message of carrying) {
      const packed = brotliCompressSync(message, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 2 },
      });
      const ratio = packed.length / Buffer.byteLength(message);
      expect(ratio).toBeGreaterThan(0.7);
    }
  });
});

import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Fails every test of the file that leaves an unhandled rejection or exception behind, after
 * `settleMs` for late rejections of abandoned commands to surface. Register it before the
 * file's own afterEach hooks (which then run first: servers are closed before the check).
 */
export function failOnUnhandled(settleMs: number): void {
  const seen: unknown[] = [];
  const record = (error: unknown): void => {
    seen.push(error);
  };
  beforeEach(() => {
    seen.length = 0;
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
  });
  afterEach(async () => {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
    expect(seen).toEqual([]);
  });
}

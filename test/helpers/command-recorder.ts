import type { Logger } from '../../src/index.js';

/**
 * A logger that keeps every entry, and the IMAP commands the connector sent (imapflow's and
 * its own bulk commands), tag removed: what a test asserts went over the wire.
 */
export function commandRecorder(): { logger: Logger; sent: () => string[] } {
  const entries: Record<string, unknown>[] = [];
  const push = (entry: Record<string, unknown>): void => void entries.push(entry);
  return {
    logger: { debug: push, info: push, warn: push, error: push },
    sent: () =>
      entries
        .filter((e) => e.src === 'imapflow:c' || e.src === 'connector:c')
        .map((e) => String(e.msg).replace(/^\S+ /, '')),
  };
}

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * A new directory for one test, under the run's own temporary root, which the global setup
 * removes when the run ends: a test run leaves nothing behind. Owner-only like the files
 * the connector writes.
 */
export function tempDir(prefix = 't-'): string {
  return mkdtempSync(join(inject('tempRoot'), prefix));
}

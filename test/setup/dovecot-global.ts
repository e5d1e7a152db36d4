import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDovecot, type DovecotInfo } from '../helpers/dovecot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
    /** Root of every test's temporary directory (helpers/temp-dir.ts); removed after the run. */
    tempRoot: string;
  }
}

/** Starts the run's private Dovecot once; it is stopped by PID when the run ends, and the temporary root removed. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tempRoot = mkdtempSync(join(tmpdir(), 'imap-connector-test-'));
  project.provide('tempRoot', tempRoot);
  // The CLIs the tests start keep their compile cache (src/cli/compile-cache.ts) in the run's
  // root, not in the home directory of whoever runs the tests.
  process.env.XDG_CACHE_HOME = join(tempRoot, 'cache-home');
  const server = await startDovecot();
  const { stop, ...info } = server;
  project.provide('dovecot', info);
  return async () => {
    try {
      await stop();
    } finally {
      rmSync(tempRoot, { recursive: true, force: true });
    }
  };
}

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    // The host tests (Node-RED, PyAirbyte, Meltano) run with npm run test:hosts.
    exclude: ['**/node_modules/**', 'test/hosts/**'],
    // One private Dovecot for the whole run; tests create their own users on it.
    globalSetup: ['test/setup/dovecot-global.ts'],
    setupFiles: ['test/setup/msw.ts'],
    // Import sources whose memory is reused batch after batch are overwritten at release, so a
    // source read too late fails the byte-exact checks (src/imap/literal-arena.ts).
    env: { IMAP_CONNECTOR_ARENA_POISON: '1' },
    // The tests wait on servers (Dovecot, Redis, child CLIs) far more than they compute, so
    // two files at a time even where vitest's default (cores - 1) would give one: on 2 cores
    // the suite takes about half as long.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Real sockets: connect + login against a local Dovecot takes well under a second, but
    // timeout tests wait out their budget on purpose.
    testTimeout: 20 * 1000,
    hookTimeout: 30 * 1000,
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The host tests (npm run test:hosts): the adapters inside the real hosts, PyAirbyte, Meltano and
 * Node-RED (runtime and editor, in Chromium), against the run's private Dovecot.
 */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/hosts/**/*.host.test.ts'],
    globalSetup: ['test/setup/dovecot-global.ts'],
    // A Python host starts in seconds, a first Meltano project in about ten.
    testTimeout: 240 * 1000,
    hookTimeout: 120 * 1000,
    // The hosts are heavy processes; one file at a time keeps the two cores for them.
    fileParallelism: false,
  },
});

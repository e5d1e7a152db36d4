import { fileURLToPath } from 'node:url';

/** The built CLI (npm test builds first), for tests that run it as a real process. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export { sleep } from '../../src/sleep.js';

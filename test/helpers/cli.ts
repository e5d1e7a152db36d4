import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built CLI (npm test builds first), for tests that run it as a real process. */
export const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export { sleep } from '../../src/sleep.js';

/**
 * The CLI arguments of an import between two accounts from the files such a test writes in
 * `dir`: source.json, target.json (passwords from the environment) and the job's state.db.
 */
export function cliImportArgs(dir: string): string[] {
  return [
    'import',
    '--config',
    join(dir, 'source.json'),
    '--target',
    join(dir, 'target.json'),
    '--state',
    join(dir, 'state.db'),
  ];
}

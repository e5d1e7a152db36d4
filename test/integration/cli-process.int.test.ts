/**
 * The CLI process and rejections nobody hears: each ends the process with one line and exit 1,
 * never a silent success. Also imapflow's own "Connection not available" (an earlier session let
 * that one go, taking it for a rejection nobody could hear; it was a read's setup whose LIST
 * was cut, thrown unclassified: setup-cuts.int.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';

/** Runs `read --help` as the program, with `reason` rejected unheard right after it starts. */
function runWithStrayRejection(reason: string) {
  const script = `
    import { runAsProgram } from ${JSON.stringify(pathToFileURL(CLI).href)};
    runAsProgram(['read', '--help']);
    Promise.reject(${reason});
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('the CLI process', () => {
  it.each([
    [`new Error('boom')`, 'boom'],
    [
      `Object.assign(new Error('Connection not available'), { code: 'NoConnection', rejectedFrom: 'pendingRequest', command: 'LIST' })`,
      'Connection not available',
    ],
  ])('ends with exit 1 and one line on an unhandled rejection (%#)', (reason, message) => {
    const run = runWithStrayRejection(reason);
    expect(run.stderr).toBe(`Internal error: ${message}\n`);
    expect(run.status).toBe(1);
  });
});

/**
 * The CLI process and rejections nobody hears: imapflow's rejection of a command left queued on
 * a connection that closed (code NoConnection, rejectedFrom pendingRequest; seen as an LSUB
 * cut by a server restart) must not end a long run such as `read --watch`; any other unhandled
 * rejection still ends the process with one line and exit 1, never a silent success.
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
  it("lets imapflow's rejection of an abandoned command go, and finishes its command", () => {
    const run = runWithStrayRejection(
      `Object.assign(new Error('Connection not available'), { code: 'NoConnection', rejectedFrom: 'pendingRequest', command: 'LSUB' })`,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Usage: imap-connector read');
    expect(run.status).toBe(0);
  });

  it('ends with exit 1 and one line on any other unhandled rejection', () => {
    const run = runWithStrayRejection(`new Error('boom')`);
    expect(run.stderr).toBe('Internal error: boom\n');
    expect(run.status).toBe(1);
  });
});

/**
 * The development scripts' command line (scripts/script-args.ts), run as the built scripts are:
 * `--help` and a bad option end before any server starts, so these take a second, not a chaos
 * run. `chaos.js --help` used to die with parseArgs' stack trace.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/repo-files.js';

function runScript(script: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/scripts', script), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the development scripts’ command line', () => {
  it('prints the usage for --help and exits 0', () => {
    for (const [script, usage] of [
      ['chaos.js', 'npm run chaos [-- --trials 24 --seed 20261203 --only read,import,batch,pop3]'],
      ['soak.js', 'npm run soak ['],
      ['bench/run-bench.js', 'npm run bench ['],
      ['bench/queue-bench.js', 'npm run bench:queue ['],
    ]) {
      const run = runScript(script!, '--help');
      expect(run, script).toMatchObject({ status: 0, stderr: '' });
      expect(run.stdout).toContain(`usage: ${usage}`);
    }
  });

  it('names a mistyped option in one line, with the usage, and exits 2', () => {
    const run = runScript('chaos.js', '--trails', '3');
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(
      "Unknown option '--trails'\nusage: npm run chaos [-- --trials 24 --seed 20261203 --only read,import,batch,pop3]\n",
    );
    const path = runScript('chaos.js', '--only', 'read,pop4');
    expect(path.status).toBe(2);
    expect(path.stderr).toMatch(/^--only takes read, import, batch, pop3, not "pop4"\n/);
  });

  it('refuses a count that is not a whole number of at least 1, and a list with one', () => {
    expect(runScript('chaos.js', '--trials', 'x').stderr).toMatch(
      /^--trials must be a whole number of at least 1, not "x"\n/,
    );
    expect(runScript('chaos.js', '--seed', '1.5').status).toBe(2);
    const list = runScript('bench/queue-bench.js', '--workers', '1,0');
    expect(list.status).toBe(2);
    expect(list.stderr).toMatch(/^--workers must be a whole number of at least 1, not "0"\n/);
  });
});

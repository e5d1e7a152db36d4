/**
 * The demo starts a private Dovecot; it must stop it however the demo ends (issue 9:
 * `npm run demo | head` left Dovecot running). head closes the pipe after three lines, the
 * demo's next write fails with EPIPE, and the server it printed the PID of must be gone.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../../dist/scripts/demo.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it("runs every step to the expected result and exits 0 (the README's first command)", () => {
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout).toContain('Demo finished: every step gave the expected result');
    expect(run.status, run.stdout.slice(-3000) + run.stderr).toBe(0);
  }, 120_000);

  it('stops its Dovecot when the reader of its output goes away', async () => {
    const run = spawnSync('sh', ['-c', `'${process.execPath}' '${DEMO}' | head -3`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const pid = Number(/pid (\d+)/.exec(run.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 50 && alive(pid); i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
  }, 60_000);
});

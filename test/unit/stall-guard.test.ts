/**
 * A command that waits for something that can never happen must not exit 0 (issue 24: a
 * deadlocked batch did). Run as real processes: only a process whose event loop empties shows it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(new URL('../../dist/src/stall-guard.js', import.meta.url));

function run(script: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('watchForStall', () => {
  it('fails a run that can never settle as INTERNAL, so the process exits non-zero', () => {
    const { status, stderr } = run(`
      import { watchForStall } from ${JSON.stringify(GUARD)};
      const guard = watchForStall('test run');
      try {
        await Promise.race([new Promise(() => {}), guard.stalled]);
      } catch (error) {
        process.stderr.write(error.code + ' ' + error.message);
        process.exitCode = 1;
      }
    `);
    expect(status).toBe(1);
    expect(stderr).toMatch(/^INTERNAL The test run stalled/);
  });

  it('changes nothing for a run that settles', () => {
    const { status, stderr } = run(`
      import { watchForStall } from ${JSON.stringify(GUARD)};
      const guard = watchForStall('test run');
      await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), guard.stalled]);
      guard.cancel();
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

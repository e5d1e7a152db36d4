import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineCpuSeconds, threadSplit, treeCpuSeconds } from '../../../scripts/bench/cpu-use.js';
import { summarizeProfile } from '../../../scripts/bench/summarize-profile.js';
import { tempDir } from '../../helpers/temp-dir.js';

// Burns `ms` of CPU (not of the clock: on a loaded machine the two differ) in a child of a
// child, so the time reaches the root only through the reaped processes' cutime/cstime; then
// the root says "burnt".
const BURN = (ms: number): string =>
  `require('node:child_process').spawnSync(process.execPath, ['-e', 'const s = process.cpuUsage(); while (process.cpuUsage(s).user + process.cpuUsage(s).system < ${ms * 1000});']); console.log('burnt');`;

/** Resolves once `child` has written `word` on its stdout. */
function said(child: ReturnType<typeof spawn>, word: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(word)) resolve();
    });
    child.once('exit', () => reject(new Error(`exited before saying ${word}: ${out}`)));
  });
}

describe('cpu-use', () => {
  it("counts a process tree's CPU, also of descendants that came and went", async () => {
    const parent = spawn(process.execPath, ['-e', `${BURN(400)} setTimeout(() => {}, 5000);`]);
    try {
      const before = treeCpuSeconds(parent.pid!);
      await said(parent, 'burnt');
      const used = treeCpuSeconds(parent.pid!) - before;
      // The grandchild's 0.4 s, reaped by the child, reaped by the parent.
      expect(used).toBeGreaterThan(0.3);
      expect(used).toBeLessThan(3);
    } finally {
      parent.kill();
    }
  });

  it("splits a process's CPU into its main thread and the rest", () => {
    const before = threadSplit(process.pid);
    // 200 ms of this process's CPU, not of the clock: on a loaded machine (CI's other suites)
    // 200 ms of wall time gave the thread less than 100 ms of CPU.
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 200_000);
    const after = threadSplit(process.pid);
    expect(after.mainThread - before.mainThread).toBeGreaterThan(0.1);
    expect(after.otherThreads).toBeGreaterThanOrEqual(0);
    expect(Object.keys(after.byName)).toContain('(exited threads)');
  });

  it("reads the machine's busy and total time, busy never above total", () => {
    const first = machineCpuSeconds();
    const end = Date.now() + 100;
    while (Date.now() < end);
    const second = machineCpuSeconds();
    expect(second.busy).toBeGreaterThan(first.busy);
    // proc(5): iowait "is not reliable" and can go down between reads, and total counts it:
    // allow a few ticks (it failed once with the suite on both cores).
    expect(second.busy - first.busy).toBeLessThanOrEqual(second.total - first.total + 0.05);
  });
});

describe('summarizeProfile', () => {
  it('sums the self time of several profiles by function', () => {
    const dir = tempDir();
    const profile = (fn: string, us: number): string => {
      const path = join(dir, `${fn}-${us}.cpuprofile`);
      writeFileSync(
        path,
        JSON.stringify({
          nodes: [
            { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
            { id: 2, callFrame: { functionName: fn, url: 'file:///x/dist/a.js', lineNumber: 9 } },
          ],
          samples: [1, 2],
          timeDeltas: [1000, us],
        }),
      );
      return path;
    };
    const spots = summarizeProfile([profile('pack', 3000), profile('pack', 5000)]);
    expect(spots[0]).toEqual({ name: 'pack', where: 'dist/a.js:10', selfMs: 8, percent: 80 });
    expect(spots[1]).toMatchObject({ name: '(idle)', selfMs: 2, percent: 20 });
  });
});

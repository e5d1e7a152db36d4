import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { residentByMapping, type MemoryAtPeak } from '../../../scripts/bench/memory-at-peak.js';
import { REPO_ROOT } from '../../helpers/repo-files.js';

const SMAPS = [
  '55d0c0a00000-55d0c4a00000 r-xp 00000000 fd:00 123 /usr/bin/node',
  'Size:              65536 kB',
  'Rss:               40000 kB',
  '55d0c4a00000-55d0c4b00000 r--p 04000000 fd:00 123 /usr/bin/node',
  'Rss:                1000 kB',
  '55d0c6000000-55d0cb000000 rw-p 00000000 00:00 0                          [heap]',
  'Rss:               80000 kB',
  '7f0000000000-7f0002000000 rw-p 00000000 00:00 0 ',
  'Rss:               30000 kB',
  '7f0002000000-7f0003000000 rw-p 00000000 00:00 0',
  'Rss:                2000 kB',
].join('\n');

describe('memory-at-peak', () => {
  it('adds up resident memory per mapping, anonymous ones under the empty name', () => {
    const byName = residentByMapping(SMAPS);
    expect(byName.get('/usr/bin/node')).toBe(41000);
    expect(byName.get('[heap]')).toBe(80000);
    expect(byName.get('')).toBe(32000);
  });

  it('reports the breakdown at the highest RSS, which held the Buffers allocated meanwhile', () => {
    // A fresh process: in a test worker, earlier files may have left RSS above what 64 MB adds.
    const module = JSON.stringify(join(REPO_ROOT, 'dist/scripts/bench/memory-at-peak.js'));
    const script = `
      const { watchMemory } = await import(${module});
      const stop = watchMemory(10);
      let held = Array.from({ length: 64 }, () => Buffer.alloc(1024 * 1024, 1));
      await new Promise((resolve) => setTimeout(resolve, 200));
      held = undefined;
      console.log(JSON.stringify(stop()));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script]);
    const peak = JSON.parse(out.toString()) as MemoryAtPeak;
    expect(peak.externalMb).toBeGreaterThanOrEqual(64);
    expect(peak.nodeCodeMb).toBeGreaterThan(5);
    expect(peak.v8HeapMb).toBeGreaterThanOrEqual(peak.v8NewSpaceMb);
    expect(peak.rssMb).toBeGreaterThanOrEqual(peak.nodeCodeMb + 64);
  });
});

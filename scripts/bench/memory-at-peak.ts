/**
 * Where a process's memory is at its peak RSS (`npm run bench -- --memory`): sampled in the
 * process itself, since only it can tell V8's heap and the Buffers' memory apart; /proc says
 * which pages are Node's code and which are malloc's heap. Linux only.
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** MB at the sample with the highest RSS. */
export interface MemoryAtPeak {
  rssMb: number;
  /** Node's executable mapped in: code, the same in every Node process. */
  nodeCodeMb: number;
  /** V8's heap as reserved, and the young generation within it. */
  v8HeapMb: number;
  v8NewSpaceMb: number;
  /** Live objects and not yet collected ones in V8's heap. */
  v8UsedMb: number;
  /** Buffers and other memory outside V8's heap, live or awaiting collection. */
  externalMb: number;
  /** glibc's main heap ([heap]): where most Buffers live, and what it keeps once they are freed. */
  mallocHeapMb: number;
}

const MB = 1024 * 1024;
const round = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;

/** Resident KB per mapping name in a /proc/<pid>/smaps text (anonymous mappings as ''). */
export function residentByMapping(smaps: string): Map<string, number> {
  const byName = new Map<string, number>();
  let name = '';
  for (const line of smaps.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      name = mapping[1]!;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) byName.set(name, (byName.get(name) ?? 0) + Number(rss[1]));
  }
  return byName;
}

function sample(): MemoryAtPeak {
  const usage = process.memoryUsage();
  const mapped = residentByMapping(readFileSync('/proc/self/smaps', 'utf8'));
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return {
    rssMb: round(usage.rss),
    nodeCodeMb: round((mapped.get(process.execPath) ?? 0) * 1024),
    v8HeapMb: round(usage.heapTotal),
    v8NewSpaceMb: round(newSpace?.space_size ?? 0),
    v8UsedMb: round(usage.heapUsed),
    externalMb: round(usage.external),
    mallocHeapMb: round((mapped.get('[heap]') ?? 0) * 1024),
  };
}

/**
 * Samples every `intervalMs` (a cheap RSS read; the breakdown only at a new peak) until the
 * returned function is called, which gives the breakdown at the highest RSS seen.
 */
export function watchMemory(intervalMs = 100): () => MemoryAtPeak {
  let peak = sample();
  const timer = setInterval(() => {
    if (process.memoryUsage.rss() > peak.rssMb * MB) peak = sample();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    const last = sample();
    return last.rssMb > peak.rssMb ? last : peak;
  };
}

/**
 * How many garbage collections a scenario's process ran, young and full, and their pauses on
 * the main thread. A full collection marks the whole heap on V8's helper threads as well: on
 * the attachment mix, 173 of them (one every 150 ms) took 5 CPU seconds there, which the CPU
 * seconds alone showed only as "other threads".
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface CollectionCount {
  young: number;
  full: number;
  /** Main-thread pause of all of them, incremental marking steps included. */
  pauseMs: number;
}

/** Starts counting; the returned function gives the counts so far. */
export function countCollections(): () => CollectionCount {
  const count: CollectionCount = { young: 0, full: 0, pauseMs: 0 };
  const add = (entries: PerformanceEntry[]): void => {
    for (const entry of entries) {
      const { kind } = (entry as PerformanceEntry & { detail: { kind: number } }).detail;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) count.young++;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) count.full++;
      count.pauseMs += entry.duration;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    // Node reports each collection a turn of the event loop later, to the observer's buffer
    // and then its callback: those still in the buffer count too.
    add(observer.takeRecords());
    return { ...count, pauseMs: Math.round(count.pauseMs) };
  };
}

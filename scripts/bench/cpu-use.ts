/**
 * Where a bench run's CPU time went, from Linux's /proc: the whole machine's busy time, a
 * process tree's (Dovecot's master and every imap process it ran, Redis), and one process's
 * main thread against its other threads (Node's GC helpers, libuv's pool, worker threads).
 * Used to say which of the 2 cores bound a batch run, and on what.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
/** The unit of /proc's times (USER_HZ, nearly always 100). */
function hz(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return ticksPerSecond;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(path: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process has gone meanwhile
  }
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

// Indexes into statFields: state is field 3 of proc(5), so field n is at n - 3.
const PPID = 1;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;

/** CPU seconds a process (or thread) has used, user and system. */
export function cpuSecondsOf(pid: number, thread?: number): number {
  const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
  const fields = statFields(path);
  return fields ? (Number(fields[UTIME]) + Number(fields[STIME])) / hz() : 0;
}

/**
 * CPU seconds of a process and all it started: the live descendants' own time, plus what the
 * reaped ones used (each parent's cutime/cstime). A difference of two readings is the tree's
 * CPU in between, also for processes that came and went (Dovecot's imap per login).
 */
export function treeCpuSeconds(root: number): number {
  const parentOf = new Map<number, number>();
  const timeOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(`/proc/${entry}/stat`);
    if (!fields) continue;
    const pid = Number(entry);
    parentOf.set(pid, Number(fields[PPID]));
    timeOf.set(
      pid,
      Number(fields[UTIME]) +
        Number(fields[STIME]) +
        Number(fields[CUTIME]) +
        Number(fields[CSTIME]),
    );
  }
  const inTree = (pid: number): boolean => {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parentOf.get(at))
      if (at === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, time] of timeOf) if (inTree(pid)) ticks += time;
  return ticks / hz();
}

/** The machine's CPU seconds so far, summed over its cores: busy and in all. */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / hz(), total: (busy + idle! + iowait!) / hz() };
}

/**
 * A process's CPU by thread, in seconds: the main thread (all the JavaScript of a Node
 * process), its live threads by name (V8's GC helpers, libuv's pool), and threads that have
 * exited (worker threads that ended: their time stays in the process's, not in any task).
 */
export function threadSplit(pid: number): {
  mainThread: number;
  otherThreads: number;
  byName: Record<string, number>;
} {
  const all = cpuSecondsOf(pid);
  const mainThread = cpuSecondsOf(pid, pid);
  const byName: Record<string, number> = {};
  let live = mainThread;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const thread = Number(task);
    if (thread === pid) continue;
    let name: string;
    try {
      name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const seconds = cpuSecondsOf(pid, thread);
    byName[name] = Number(((byName[name] ?? 0) + seconds).toFixed(2));
    live += seconds;
  }
  byName['(exited threads)'] = Number(Math.max(0, all - live).toFixed(2));
  return { mainThread, otherThreads: Math.max(0, all - mainThread), byName };
}

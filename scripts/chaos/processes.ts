/**
 * The chaos run's processes: the CLI as cron or a person runs it, with a budget (a process
 * still running after it has stalled), and optionally killed or interrupted at a moment.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Still running when its budget ran out: killed, and counted as stalled. */
  stalled: boolean;
  /** Stopped by the trial (kill -9, Ctrl-C). */
  stopped: boolean;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  budgetMs: number;
  /** Stop the process with `signal` this many ms after it started (not with `pipe`). */
  stopAfterMs?: number;
  signal?: NodeJS.Signals;
  /** Run through bash with this pipe after the CLI (`| head -n 3`): stdout is the pipe's. */
  pipe?: string;
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

export function runCli(args: string[], options: RunOptions): Promise<Ended> {
  const argv = [process.execPath, CLI, ...args];
  const child = options.pipe
    ? spawn(
        'bash',
        ['-c', `${argv.map(quote).join(' ')} | ${options.pipe}; exit \${PIPESTATUS[0]}`],
        { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
      )
    : spawn(argv[0]!, argv.slice(1), {
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let stalled = false;
  let stopped = false;
  const budget = setTimeout(() => {
    stalled = true;
    child.kill('SIGKILL');
  }, options.budgetMs);
  const stop =
    options.stopAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          stopped = true;
          child.kill(options.signal ?? 'SIGKILL');
        }, options.stopAfterMs);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(budget);
      if (stop) clearTimeout(stop);
      // Give the pipes a moment to deliver what was written before the exit.
      setImmediate(() => resolve({ code, signal, stdout, stderr, stalled, stopped }));
    });
  });
}

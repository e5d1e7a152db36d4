import type { Logger, LogLevel } from '../operation-options.js';

/** Where the CLI writes; injected so tests run it in-process. */
export interface CliIo {
  /** `once('drain')` lets long outputs wait for a slow pipe instead of buffering. */
  stdout: {
    write(text: string): unknown;
    isTTY?: boolean;
    once?(event: 'drain', listener: () => void): unknown;
  };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  /**
   * What stdout is. Only a clean end proves that a pipe's reader got the rows (rows in its
   * buffer are lost when it exits), so state saved for a pipe waits for the end (issue 24).
   * Unset: a terminal, or a capture in tests.
   */
  stdoutKind?: 'pipe' | 'file' | 'terminal';
  /** True once the reader of stdout went away (EPIPE). */
  outputClosed?: () => boolean;
  /** Resolves once what was written to stdout has left this process (or could not). */
  flush?: () => Promise<void>;
  /**
   * For a pipe: resolves true once its reader read everything, false when the reader went away
   * with rows unread, undefined when this machine cannot tell (pipe-drain.ts).
   */
  pipeDrained?: (signal?: AbortSignal) => Promise<boolean | undefined>;
  /** Fires on Ctrl-C or SIGTERM: the running operation stops cleanly (its state saved). */
  signal?: AbortSignal;
  /**
   * Set only when the command is the process: keeps V8's heap lean for a copy that allocates
   * little on it (lean-heap.ts). Hosts and tests leave it unset.
   */
  keepHeapLean?: (env: Record<string, string | undefined>) => void;
}

/** JSON lines on stderr; the entries reaching it are already redacted by the session. */
export function stderrLogger(io: CliIo): Logger {
  const write =
    (level: LogLevel) =>
    (entry: Record<string, unknown>): void => {
      io.stderr.write(JSON.stringify({ level, ...entry }) + '\n');
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** The operation option that carries the CLI's Ctrl-C / SIGTERM, when there is one. */
export function signalOf(io: CliIo): { signal?: AbortSignal } {
  return io.signal ? { signal: io.signal } : {};
}

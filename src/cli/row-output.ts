import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { fileWriteError } from '../file-error.js';
import type { CliIo } from './io.js';
import type { StateFile } from './state-file.js';
import { usageError } from './usage-error.js';

/** Where rows go: stdout, or a file whose committed length is tracked for --state. */
export interface RowOutput {
  write(row: unknown): void;
  /** Makes the rows so far durable; returns the committed byte length (regular files only). */
  commit(): number | undefined;
  /** After a fault: drops the rows written since the last commit, so a resume repeats none. */
  rollback(): void;
  close(): void;
  /**
   * Whether a commit proves the rows reached their reader: a file or terminal, yes; a pipe or
   * socket, only a clean end does (rows in its buffer are lost when the reader exits early).
   */
  provesEachCommit: boolean;
}

/** How the output file starts: from its beginning, after its last committed row, or at its end. */
type Start = { kind: 'fresh' } | { kind: 'at'; bytes: number } | { kind: 'end' };

function lastByte(path: string, size: number): number | undefined {
  if (size === 0) return undefined;
  const fd = openSync(path, 'r');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 1);
    return byte[0];
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a state file's output offset against the file (issue 9: an edited offset wrote over
 * the start of the output or padded it with NULs). It must lie within the file and at the end
 * of a row.
 * @throws CONFIG_INVALID naming /state.
 */
export function checkedOffset(path: string, bytes: unknown): number {
  const size = statSync(path).size;
  const valid =
    typeof bytes === 'number' &&
    Number.isSafeInteger(bytes) &&
    bytes >= 0 &&
    bytes <= size &&
    (bytes === 0 || isLineEnd(path, bytes));
  if (!valid)
    throw usageError(
      '/state',
      `the state's output offset ${JSON.stringify(bytes)} does not fit ${JSON.stringify(path)} (${size} bytes); the state or the output was changed by hand`,
    );
  return bytes;
}

function isLineEnd(path: string, bytes: number): boolean {
  return lastByte(path, bytes) === 0x0a;
}

/** Where to start writing: validated before anything is opened for writing. */
export function outputStart(
  path: string,
  resumeFrom: StateFile | undefined,
  appending: boolean,
): Start {
  if (resumeFrom?.out?.path === path && existsSync(path))
    return { kind: 'at', bytes: checkedOffset(path, resumeFrom.out.bytes) };
  return appending && existsSync(path) ? { kind: 'end' } : { kind: 'fresh' };
}

/**
 * Rows as NDJSON on stdout or in a file. The file is opened only when the first rows arrive,
 * so a run that fails before reading anything leaves it as it was; it is created owner-only
 * (0600). Pipes and devices (/dev/null, a FIFO) are written as streams: no offsets, no fsync.
 * @throws FILE_WRITE_FAILED when the file cannot be opened or written.
 */
export function openRowOutput(out: string | undefined, io: CliIo, start: Start): RowOutput {
  if (!out)
    return {
      write: (row) => io.stdout.write(JSON.stringify(row) + '\n'),
      commit: () => {
        // Redirected to a file (`> rows.ndjson`): on disk before the state says so.
        if (io.stdoutKind === 'file') fsyncSync(1);
        return undefined;
      },
      rollback: () => undefined,
      close: () => undefined,
      provesEachCommit: io.stdoutKind !== 'pipe',
    };
  const path = out;
  let fd: number | undefined;
  let regular = true;
  let bytes = 0;
  let committed = 0;
  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw fileWriteError(error, path, 'output file');
    }
  };
  const open = (): number =>
    guard(() => {
      if (fd !== undefined) return fd;
      regular = !existsSync(path) || statSync(path).isFile();
      const flags = !regular
        ? constants.O_WRONLY | constants.O_APPEND
        : start.kind === 'fresh'
          ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC
          : constants.O_WRONLY | constants.O_CREAT;
      fd = openSync(path, flags, 0o600);
      if (regular) {
        bytes = start.kind === 'at' ? start.bytes : start.kind === 'end' ? fstatSync(fd).size : 0;
        // Rows written after the last checkpoint were not committed: cut them off and continue.
        if (start.kind === 'at') ftruncateSync(fd, bytes);
      }
      committed = bytes;
      return fd;
    });
  return {
    get provesEachCommit() {
      return regular;
    },
    write(row) {
      const handle = open();
      const line = Buffer.from(JSON.stringify(row) + '\n');
      guard(() =>
        regular ? writeSync(handle, line, 0, line.length, bytes) : writeSync(handle, line),
      );
      bytes += line.length;
    },
    commit() {
      // A page was read, so the run is valid: only now may a fresh output be emptied.
      const handle = open();
      if (!regular) return undefined;
      guard(() => fsyncSync(handle));
      committed = bytes;
      return bytes;
    },
    rollback() {
      if (fd === undefined || !regular || bytes === committed) return;
      const handle = fd;
      guard(() => ftruncateSync(handle, committed));
      bytes = committed;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

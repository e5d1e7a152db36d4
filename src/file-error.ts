import { makeError, type ConnectorError } from './errors.js';

// Node's errno codes for local files, as a person would say them, and whether trying again
// later can help (a full disk can be freed; a missing directory stays missing).
const PROBLEMS: Record<string, [string, boolean]> = {
  ENOENT: ['the directory does not exist', false],
  ENOTDIR: ['a part of the path is not a directory', false],
  EISDIR: ['it is a directory', false],
  EACCES: ['permission denied', false],
  EPERM: ['permission denied', false],
  EROFS: ['the file system is read-only', false],
  ENOSPC: ['the disk is full', true],
  EDQUOT: ['the disk quota is used up', true],
  EFBIG: ['the file is too large for the file system', false],
  EIO: ['an input/output error', true],
  EMFILE: ['too many open files', true],
  ESPIPE: ['it is a pipe, which cannot be resumed at an offset', false],
};

/** A failed write of a local file (output, state, archive, export) as FILE_WRITE_FAILED. */
export function fileWriteError(error: unknown, path: string, what: string): ConnectorError {
  const code = (error as { code?: string } | null)?.code ?? '';
  const [problem, retryable] = PROBLEMS[code] ?? [`an error (${code || 'unknown'})`, true];
  return makeError(
    'FILE_WRITE_FAILED',
    `The ${what} ${JSON.stringify(path)} cannot be written: ${problem}.`,
    { retryable, details: { path, errno: code || null }, cause: error },
  );
}

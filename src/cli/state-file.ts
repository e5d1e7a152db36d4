import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileWriteError } from '../file-error.js';
import { usageError } from './usage-error.js';

/**
 * The --state file: the cursor to continue from and, with --out, how many bytes of the output
 * file belong to committed rows. Rows written after the last checkpoint are cut off on resume,
 * so a run killed mid-page leaves neither a gap nor a duplicate in the output.
 */
export interface StateFile {
  cursor: string;
  out?: { path: string; bytes: number };
}

export function readStateFile(path: string): StateFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as StateFile;
    if (typeof value.cursor !== 'string') throw new Error('no cursor');
    // The output offset is checked against the file itself when the output is opened.
    if (
      value.out !== undefined &&
      (typeof value.out !== 'object' || value.out === null || typeof value.out.path !== 'string')
    )
      throw new Error('bad out');
    return value;
  } catch {
    throw usageError(
      '/state',
      `--state ${JSON.stringify(path)} is not a state file written by imap-connector`,
    );
  }
}

/**
 * Written to a temporary file and renamed, so a crash never leaves half a state file; owner-only.
 * @throws FILE_WRITE_FAILED
 */
export function writeStateFile(path: string, state: StateFile): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, JSON.stringify(state) + '\n', { mode: 0o600 });
    renameSync(temporary, path);
  } catch (error) {
    throw fileWriteError(error, path, 'state file');
  }
}

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

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
    return value;
  } catch {
    throw new ConfigError([{ field: '/state', message: `--state ${JSON.stringify(path)} is not a state file written by imap-connector` }]);
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a state file. */
export function writeStateFile(path: string, state: StateFile): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, JSON.stringify(state) + '\n');
  renameSync(temporary, path);
}

import { readFileSync } from 'node:fs';
import { usageErrors } from './usage-error.js';

/**
 * Reads an input file of the CLI (- for stdin), or says which one could not be read.
 * @throws USAGE_INVALID naming `field` and the reason (ENOENT, EACCES, ...).
 */
export function readInput(path: string, field: string): Buffer {
  try {
    return path === '-' ? readFileSync(0) : readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw usageErrors([{ field, message: `${JSON.stringify(path)} cannot be read (${code})` }]);
  }
}

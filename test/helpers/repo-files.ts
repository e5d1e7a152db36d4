import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: tests run from test/ (vitest) or dist/test/ (never), always two up from helpers. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A JSON file of the repository, read from disk (what a host reading the package sees). */
export function readRepoJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, `file://${REPO_ROOT}`), 'utf8')) as T;
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding this package's package.json. Found by walking up, because the code
 * runs both from src/ (tests) and from dist/src/ (built), at different depths.
 */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
      if (pkg.name === 'imap-connector') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('imap-connector: package.json not found above ' + start);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Reads a JSON file shipped with the package (connector.json, schemas/*.json). */
export function readPackageJson<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, relativePath), 'utf8')) as T;
}

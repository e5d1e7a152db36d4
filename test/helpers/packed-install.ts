/**
 * The two npm packages as a user installs them before they are on the registry (issue 26):
 * `npm pack` of the connector and of the Node-RED package, both tarballs installed side by side
 * in a Node-RED user directory with `npm install`. The Node-RED package depends on the
 * connector by a version range, which the connector's tarball satisfies.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_RED_PACKAGE } from './node-red-package.js';
import { tempDir } from './temp-dir.js';

function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== '/'; dir = dirname(dir))
    if (existsSync(join(dir, 'connector.json')) && existsSync(join(dir, 'packages'))) return dir;
  throw new Error('the repository root (connector.json) not found above this file');
}

let packed: string[] | undefined;

/** The tarballs `npm pack` makes of both packages (the connector must be built: test:hosts does). */
export function packedTarballs(): string[] {
  if (packed) return packed;
  const root = repositoryRoot();
  if (!existsSync(join(root, 'dist', 'src', 'index.js')))
    throw new Error('dist/ is missing: npm run build first (npm run test:hosts does)');
  const into = tempDir('packs-');
  // Scripts off: prepare would only build dist/ again.
  for (const dir of [root, NODE_RED_PACKAGE])
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', into, dir], {
      cwd: into,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  packed = readdirSync(into)
    .filter((name) => name.endsWith('.tgz'))
    .map((name) => join(into, name));
  return packed;
}

/** Installs both tarballs into a Node-RED user directory, as `npm install A.tgz B.tgz` there. */
export function installPacked(userDir: string): void {
  if (!existsSync(join(userDir, 'package.json')))
    writeFileSync(
      join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', private: true }),
    );
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packedTarballs()],
    { cwd: userDir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 },
  );
}

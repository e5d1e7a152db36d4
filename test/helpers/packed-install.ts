/**
 * The npm packages as a user installs them before they are on the registry (issue 26): `npm
 * pack` of the connector and of a host's package (Node-RED's, n8n's), both tarballs installed
 * side by side with `npm install` (a Node-RED user directory, n8n's nodes directory). The host
 * packages depend on the connector by a version range, which the connector's tarball satisfies.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

/** The host packages, by the name of the host they are for. */
export type HostPackage = 'node-red' | 'n8n';

// Asynchronous, never execFileSync: vitest's worker answers its runner within 60 s or the run
// fails ("Timeout calling onTaskUpdate") with every test green, and an npm install under load
// can block that long (the package test did, once).
const run = promisify(execFile);
const packed = new Map<string, Promise<string>>();

/** The tarball `npm pack` makes of a package directory (scripts off: prepare only builds dist/). */
function tarballOf(dir: string): Promise<string> {
  const known = packed.get(dir);
  if (known) return known;
  const packing = (async () => {
    const into = tempDir('pack-');
    await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', into, dir], {
      cwd: into,
    });
    const [name] = readdirSync(into).filter((file) => file.endsWith('.tgz'));
    if (!name) throw new Error(`npm pack ${dir} made no tarball`);
    return join(into, name);
  })();
  packed.set(dir, packing);
  return packing;
}

/** The connector's tarball and a host package's, as `npm pack` makes them. */
export function packedTarballs(host: HostPackage): Promise<string[]> {
  const root = repositoryRoot();
  if (!existsSync(join(root, 'dist', 'src', 'index.js')))
    throw new Error('dist/ is missing: npm run build first (npm run test:hosts does)');
  const hostPackage =
    host === 'node-red' ? NODE_RED_PACKAGE : join(root, 'packages', 'n8n-nodes-imap-connector');
  return Promise.all([tarballOf(root), tarballOf(hostPackage)]);
}

/**
 * Installs the connector's and a host package's tarballs side by side into `dir`, as
 * `npm install A.tgz B.tgz` there. n8n's nodes leave their peer n8n-workflow to n8n, which
 * provides its own (a second copy would make its errors another class), as n8n's installer does.
 */
export async function installPacked(dir: string, host: HostPackage = 'node-red'): Promise<void> {
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: host === 'n8n' ? 'installed-nodes' : 'node-red-project',
        private: true,
      }),
    );
  await run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...(host === 'n8n' ? ['--legacy-peer-deps'] : []),
      ...(await packedTarballs(host)),
    ],
    { cwd: dir, timeout: 300_000 },
  );
}

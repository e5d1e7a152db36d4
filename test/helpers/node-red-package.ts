/**
 * The Node-RED package (packages/node-red-contrib-imap-connector) and the Node-RED it is tested
 * in, from that package's own node_modules (npm ci there; npm run test:hosts does it). Node-RED 5
 * needs Node 22.9 or newer: on an older Node these tests fail saying so (CI runs them on Node 24).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package directory, found upward from here: this file also runs compiled, from dist/. */
function findPackage(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== '/'; dir = dirname(dir)) {
    const candidate = join(dir, 'packages', 'node-red-contrib-imap-connector');
    if (existsSync(join(candidate, 'package.json'))) return `${candidate}/`;
  }
  throw new Error('packages/node-red-contrib-imap-connector not found above this file');
}

export const NODE_RED_PACKAGE = findPackage();

export function requireFromPackage(): NodeRequire {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major < 22 || (major === 22 && minor < 9))
    throw new Error(
      `Node-RED 5 needs Node 22.9 or newer; this is Node ${process.versions.node}. Run npm run test:hosts on Node 24 (.ci/run does).`,
    );
  if (!existsSync(`${NODE_RED_PACKAGE}node_modules/node-red/package.json`))
    throw new Error(
      `Node-RED is not installed in ${NODE_RED_PACKAGE}: run npm ci there (npm run test:hosts does).`,
    );
  return createRequire(`${NODE_RED_PACKAGE}package.json`);
}

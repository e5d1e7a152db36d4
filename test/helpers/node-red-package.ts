/**
 * The Node-RED package (packages/node-red-contrib-imap-connector) and the Node-RED it is tested
 * in, from that package's own node_modules (npm ci there; npm run test:hosts does it). Node-RED 5
 * needs Node 22.9 or newer: on an older Node these tests fail saying so (CI runs them on Node 24).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const NODE_RED_PACKAGE = fileURLToPath(
  new URL('../../packages/node-red-contrib-imap-connector/', import.meta.url),
);

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

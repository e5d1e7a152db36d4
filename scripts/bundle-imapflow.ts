/**
 * Replaces dist/src/imap/imapflow-bundle.js (re-exports of imapflow, three of its internals and
 * libmime, as tsc emits it) by one bundle of those packages and their dependencies, so a process
 * loads one file instead of about 90 (src/imap/imapflow-bundle.ts says what it gains). Run by
 * `npm run build` and `prepare`, after tsc.
 *   node dist/scripts/bundle-imapflow.js
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { slimmingPlugin } from './bundle-slimming.js';

// Bundled from the TypeScript source, not from tsc's output: running this twice gives the same file.
const SOURCE = fileURLToPath(new URL('../../src/imap/imapflow-bundle.ts', import.meta.url));
const MODULE = fileURLToPath(new URL('../src/imap/imapflow-bundle.js', import.meta.url));

/** A bundle marks itself, so the build and the tests can tell it from tsc's re-exports. */
const BUNDLE_MARK = '// imap-connector: imapflow bundle';

async function main(): Promise<void> {
  if (!existsSync(MODULE)) throw new Error(`${MODULE} is missing: run tsc first`);
  await build({
    entryPoints: [SOURCE],
    outfile: MODULE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    plugins: [slimmingPlugin()],
    // imapflow's dependencies are CommonJS and require Node's modules: esbuild's ESM output
    // needs a real require for those.
    banner: {
      js: `${BUNDLE_MARK}\nimport { createRequire as bundleRequire } from 'node:module';\nconst require = bundleRequire(import.meta.url);`,
    },
  });
  // tsc's source map is of the re-exports, not of this file.
  rmSync(`${MODULE}.map`, { force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bundle-imapflow: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});

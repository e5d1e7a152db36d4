/**
 * What the imapflow bundle leaves out or loads late (scripts/bundle-imapflow.ts). Measured on
 * 2026-12-07: the bundle loaded in 71-79 ms with all of it, 37-45 ms without, and 6 MB less RSS.
 * - iconv-lite: imapflow and libmime each bring a copy (500 KB of charset tables each); one is
 *   bundled when both are the same version, and the build stops when they are not.
 * - pino: imapflow's default logger, made only for a connection given no logger. The connector
 *   always gives it one (imap/open-session.ts).
 * - socks: imapflow's proxy connection, used only with a `proxy` option the connector never sets
 *   (config/to-imapflow-options.ts).
 * - encoding-japanese: libmime decodes ISO-2022-JP, Shift_JIS and EUC-JP with it, and requires
 *   its tables (12 ms) at load. It is loaded on the first such decode instead.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

const STUBS = 'imap-connector-left-out';

const LEFT_OUT: Record<string, string> = {
  pino: `export default function pino() {
  throw new Error("imap-connector: imapflow's default logger (pino) is not bundled: give ImapFlow a logger");
}`,
  socks: `export class SocksClient {
  static createConnection() {
    throw new Error("imap-connector: imapflow's proxy connection (socks) is not bundled");
  }
}`,
};

const fromHere = createRequire(import.meta.url);

/** What `from` (a package) gets when it requires `name`: its entry and its package.json. */
function dependencyOf(from: string, name: string): { entry: string; version: string } {
  const require = createRequire(fromHere.resolve(from));
  const manifest = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
    version: string;
  };
  return { entry: require.resolve(name), version: manifest.version };
}

/** The one iconv-lite both imapflow and libmime get; throws when their versions differ. */
function sharedIconvLite(): string {
  const imapflows = dependencyOf('imapflow', 'iconv-lite');
  const libmimes = dependencyOf('libmime', 'iconv-lite');
  if (imapflows.version !== libmimes.version)
    throw new Error(
      `imapflow's iconv-lite ${imapflows.version} and libmime's ${libmimes.version} differ:` +
        ' align them, or bundle both (drop the alias in scripts/bundle-slimming.ts)',
    );
  return imapflows.entry;
}

/** encoding-japanese behind a Proxy that requires it on the first property read. */
function lateJapanese(realEntry: string): string {
  // The name stays in the minified bundle: cli-startup.int.test.ts looks for it.
  return `let loaded;
const loadEncodingJapaneseOnFirstUse = () => (loaded ??= require(${JSON.stringify(realEntry)}));
module.exports = new Proxy({}, { get: (_, key) => loadEncodingJapaneseOnFirstUse()[key] });`;
}

/** The esbuild plugin that applies all of the above. */
export function slimmingPlugin(): Plugin {
  const iconv = sharedIconvLite();
  const japanese = dependencyOf('libmime', 'encoding-japanese').entry;
  return {
    name: 'imap-connector-slimming',
    setup(build) {
      build.onResolve({ filter: /^iconv-lite$/ }, () => ({ path: iconv }));
      build.onResolve({ filter: /^(pino|socks)$/ }, (args) => ({
        path: args.path,
        namespace: STUBS,
      }));
      build.onResolve({ filter: /^encoding-japanese$/ }, () => ({
        path: 'encoding-japanese',
        namespace: `${STUBS}-late`,
      }));
      build.onLoad({ filter: /.*/, namespace: STUBS }, (args) => ({
        contents: LEFT_OUT[args.path]!,
        loader: 'js',
      }));
      // resolveDir: the real module is then bundled as itself, and run on the first read.
      build.onLoad({ filter: /.*/, namespace: `${STUBS}-late` }, () => ({
        contents: lateJapanese(japanese),
        loader: 'js',
        resolveDir: dirname(japanese),
      }));
    },
  };
}

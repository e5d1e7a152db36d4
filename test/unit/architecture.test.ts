/**
 * Imports only point down the layer list of DESIGN.md and docs/architecture.md:
 * cli -> {adapters, console} -> index -> queue -> batch -> import -> sinks -> {read, write} -> {imap, query, rows} -> config -> base
 * (base: the files directly in src/: errors, validators, manifest, operation-options, ...).
 * read and write sit side by side on the protocol layer (imap/, and pop3/ beside it). Pure layers never load
 * imapflow at runtime nor import anything dynamically, and only imap/imapflow-bundle.ts
 * reaches into imapflow/lib/*. A test rather than a lint plugin, so no extra tool config.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const RANK: Record<string, number> = {
  base: 0,
  config: 1,
  imap: 2,
  pop3: 2,
  query: 2,
  rows: 2,
  read: 3,
  write: 3,
  sinks: 4,
  import: 5,
  batch: 6,
  queue: 6.5,
  index: 7,
  adapters: 7.5,
  console: 7.5,
  cli: 8,
};
const BUNDLE = 'imap/imapflow-bundle.ts';
const INTERNALS = 'imap/imapflow-internals.ts';
const PURE = new Set(['config', 'query', 'rows', 'base']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layer(path: string): string {
  const rel = relative(SRC, path);
  // The package's entries: the operations, and the archive on its own.
  if (rel === 'index.ts' || rel === 'archive.ts') return 'index';
  return rel.includes('/') ? rel.split('/')[0]! : 'base';
}

interface Import {
  from: string;
  target: string;
  typeOnly: boolean;
}

function importsOf(path: string): Import[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)].map(
    (m) => ({ from: path, target: m[2]!, typeOnly: Boolean(m[1]) }),
  );
}

const all = files(SRC).flatMap(importsOf);

describe('module layering', () => {
  it('finds the source files it checks', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it('knows the layer of every source folder', () => {
    const unknown = [...new Set(files(SRC).map(layer))].filter((name) => RANK[name] === undefined);
    expect(unknown).toEqual([]);
  });

  it('never imports upward or sideways between layers', () => {
    const violations = all
      .filter((i) => i.target.startsWith('.'))
      .filter((i) => {
        const fromLayer = layer(i.from);
        const toLayer = layer(resolve(dirname(i.from), i.target).replace(/\.js$/, '.ts'));
        return fromLayer !== toLayer && RANK[toLayer]! >= RANK[fromLayer]!;
      })
      .map((i) => `${relative(SRC, i.from)} -> ${i.target}`);
    expect(violations).toEqual([]);
  });

  it('names only folders that exist', () => {
    const folders = new Set(files(SRC).map(layer));
    expect(Object.keys(RANK).filter((name) => !folders.has(name))).toEqual([]);
  });

  it('lets only imap/imapflow-bundle.ts reach into imapflow/lib/*', () => {
    const violations = all
      .filter((i) => i.target.startsWith('imapflow/') && relative(SRC, i.from) !== BUNDLE)
      .map((i) => `${relative(SRC, i.from)} -> ${i.target}`);
    expect(violations).toEqual([]);
  });

  it('loads imapflow and libmime at runtime only through imap/imapflow-bundle.ts', () => {
    // Any other runtime import would load the packages' ~90 files beside the bundle.
    const violations = all
      .filter((i) => ['imapflow', 'libmime'].includes(i.target) && !i.typeOnly)
      .filter((i) => relative(SRC, i.from) !== BUNDLE)
      .map((i) => `${relative(SRC, i.from)} -> ${i.target}`);
    expect(violations).toEqual([]);
  });

  it("lets only imap/imapflow-internals.ts import imapflow's internals from the bundle", () => {
    const violations = files(SRC)
      .filter((path) => relative(SRC, path) !== INTERNALS)
      .flatMap((path) =>
        [
          ...readFileSync(path, 'utf8').matchAll(
            /import\s*\{([^}]*)\}\s*from\s*'[^']*imapflow-bundle\.js'/g,
          ),
        ]
          .filter((m) => /\b(imapCompiler|parseBodystructure|parseEnvelope)\b/.test(m[1]!))
          .map(() => relative(SRC, path)),
      );
    expect(violations).toEqual([]);
  });

  it('has no dynamic import() in pure layers', () => {
    const violations = files(SRC)
      .filter((path) => PURE.has(layer(path)))
      .filter((path) => /\bimport\s*\(/.test(readFileSync(path, 'utf8')))
      .map((path) => relative(SRC, path));
    expect(violations).toEqual([]);
  });

  it('keeps imapflow out of pure layers at runtime (import type only)', () => {
    const violations = all
      .filter((i) => i.target === 'imapflow' && !i.typeOnly && PURE.has(layer(i.from)))
      .map((i) => relative(SRC, i.from));
    expect(violations).toEqual([]);
  });

  // The console and the adapters are hosts of the connector: they use what a host can, the
  // names index.ts and archive.ts export (from the module that defines them), and the base and
  // config layers. What else they reach, and why, is this list (docs/architecture.md).
  const HOST_EXCEPTIONS: Record<string, string> = {
    'console/archive-search.ts -> sinks/sqlite-driver.ts':
      "the search index is an in-memory SQLite (FTS5) database, opened with the archive's driver",
    'adapters/stream-sync.ts -> read/cursor.ts':
      "a host's per-stream state is one folder's entry of the opaque cursor",
    'console/console-batches.ts -> batch/preflight.ts':
      'a type: the preflight results the batch page shows (PreflightResult is exported too)',
  };

  it('lets the console and the adapters use the public API only, besides the listed exceptions', () => {
    const exported = new Map<string, Set<string>>();
    for (const entry of ['index.ts', 'archive.ts']) {
      const text = readFileSync(join(SRC, entry), 'utf8');
      for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
        const target = relative(SRC, resolve(SRC, m[2]!)).replace(/\.js$/, '.ts');
        const names = m[1]!
          .split(',')
          .map((n) => n.replace(/^\s*type\s+/, '').trim())
          .filter(Boolean);
        exported.set(target, new Set([...(exported.get(target) ?? []), ...names]));
      }
      // An operation loaded on first call: `export const name: typeof Module.name = ...`, with
      // `import type * as Module from '...'`.
      const modules = new Map(
        [...text.matchAll(/^import type \* as (\w+) from '([^']+)'/gm)].map((m) => [m[1]!, m[2]!]),
      );
      for (const m of text.matchAll(/^export const (\w+): typeof (\w+)\.(\w+) =/gm)) {
        const from = modules.get(m[2]!);
        if (!from || m[1] !== m[3]) continue;
        const target = relative(SRC, resolve(SRC, from)).replace(/\.js$/, '.ts');
        exported.set(target, new Set([...(exported.get(target) ?? []), m[1]!]));
      }
    }
    const violations: string[] = [];
    for (const path of files(SRC).filter((p) => ['console', 'adapters'].includes(layer(p)))) {
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/^import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'(\.[^']+)'/gm)) {
        const target = relative(SRC, resolve(dirname(path), m[2]!)).replace(/\.js$/, '.ts');
        const to = layer(join(SRC, target));
        if ([layer(path), 'base', 'config'].includes(to)) continue;
        const pair = `${relative(SRC, path)} -> ${target}`;
        if (HOST_EXCEPTIONS[pair]) continue;
        const names = m[1]!
          .split(',')
          .map((n) => n.replace(/^\s*type\s+/, '').trim())
          .filter(Boolean);
        const missing = names.filter((name) => !exported.get(target)?.has(name));
        if (missing.length > 0) violations.push(`${pair}: ${missing.join(', ')}`);
      }
    }
    expect(violations).toEqual([]);
  });
});

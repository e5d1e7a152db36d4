/**
 * Imports only point down the layer list of STYLE.md 2.2:
 * cli -> index -> {batch, import} -> sinks -> write -> read -> {imap, query, rows} -> config -> base
 * (base: errors, validators, package-root, operation-options). write sits above read because
 * a target's dedupe index is built with read's UID SEARCH and bulk FETCH. Pure layers never load imapflow
 * at runtime. A test rather than a lint plugin, so no extra tool config is needed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const RANK: Record<string, number> = { base: 0, config: 1, imap: 2, query: 2, rows: 2, read: 3, write: 4, sinks: 5, batch: 6, import: 6, index: 7, cli: 8 };
const PURE = new Set(['config', 'query', 'rows', 'base']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layer(path: string): string {
  const rel = relative(SRC, path);
  if (rel === 'index.ts') return 'index';
  return rel.includes('/') ? rel.split('/')[0]! : 'base';
}

interface Import {
  from: string;
  target: string;
  typeOnly: boolean;
}

function importsOf(path: string): Import[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)].map((m) => ({ from: path, target: m[2]!, typeOnly: Boolean(m[1]) }));
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

  it('keeps imapflow out of pure layers at runtime (import type only)', () => {
    const violations = all.filter((i) => i.target === 'imapflow' && !i.typeOnly && PURE.has(layer(i.from))).map((i) => relative(SRC, i.from));
    expect(violations).toEqual([]);
  });
});

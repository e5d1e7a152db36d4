/**
 * The package as a host gets it: packed from the tracked files only (as from a clean clone,
 * so `prepare` must build dist/), installed from the tarball into a scratch strict TypeScript
 * host (skipLibCheck false) and bundled with esbuild, each then running Test Connection
 * against the real Dovecot. The host installs no better-sqlite3: on Node 20 the archive must
 * say SQLITE_UNAVAILABLE while everything else works; on Node 22.13+ it works through node:sqlite.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { message } from '../helpers/corpus.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { readRepoJson, REPO_ROOT } from '../helpers/repo-files.js';
import { tempDir } from '../helpers/temp-dir.js';

const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const hasBuiltInSqlite = major > 22 || (major === 22 && minor >= 13);
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

// Asynchronous: npm pack, npm install and tsc take tens of seconds each under the suite's load,
// and a vitest worker blocked for 60 s in a row misses its runner's answers (an unhandled
// "Timeout calling onTaskUpdate" fails the run with every test green).
const execFileAsync = promisify(execFile);
const run = async (
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<string> =>
  (
    await execFileAsync(cmd, args, {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, npm_config_loglevel: 'error', ...env },
      maxBuffer: 64 * 1024 * 1024,
    })
  ).stdout;

/** The host program: Test Connection, the manifest and a schema by their package paths, imports and the archive. */
const HOST_SOURCE = `
import { testConnection, runImport, isConnectorError, type TestConnectionResult } from 'imap-connector';
import { Archive } from 'imap-connector/archive';
import manifest from 'imap-connector/connector.json' with { type: 'json' };
import schema from 'imap-connector/schemas/connection.schema.json' with { type: 'json' };

const config: Record<string, unknown> = JSON.parse(process.env.HOST_CONFIG ?? '{}');
const result: TestConnectionResult = await testConnection(config);
let archive: string;
try {
  Archive.open(process.env.HOST_ARCHIVE ?? '', { create: true }).close();
  archive = 'ok';
} catch (error) {
  archive = isConnectorError(error) ? error.code : String(error);
}
// An import between two accounts keeps its state in SQLite too.
let imported: string;
try {
  await runImport(config, {
    destination: { connection: JSON.parse(process.env.HOST_TARGET ?? '{}'), state: process.env.HOST_STATE ?? '' },
  });
  imported = 'ok';
} catch (error) {
  imported = isConnectorError(error) ? error.code : String(error);
}
// An import into the archive packs its sources on a worker thread, bundled or not.
let archived: string;
try {
  const path = (process.env.HOST_ARCHIVE ?? '') + '.import';
  await runImport(config, { destination: { archive: path } });
  const opened = Archive.open(path, { create: false });
  archived = opened.stats().messages + ' messages';
  opened.close();
} catch (error) {
  archived = isConnectorError(error) ? error.code : String(error);
}
process.stdout.write(JSON.stringify({
  imported,
  archived,
  ok: result.ok,
  code: result.code,
  fields: manifest.connectionFields.length,
  schemaTitle: schema.title,
  archive,
}));
`;

let tarball: string;
let files: string[];

/** A source account holding two messages, for the host's imports. */
async function seededSource(): Promise<Record<string, unknown>> {
  const user = freshUser();
  await seedMailbox(dovecot(), user, {
    INBOX: [{ source: message('Packed one') }, { source: message('Packed two') }],
  });
  return makeConfig(user);
}

beforeAll(async () => {
  // Tracked files only, as a clean clone has them: no dist/, no node_modules of our own.
  const clone = tempDir('clone-');
  // Tracked and new (not ignored) files: what the next commit holds.
  const tracked = (
    await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO_ROOT)
  )
    .split('\0')
    .filter(Boolean);
  for (const file of tracked) {
    mkdirSync(join(clone, file, '..'), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(clone, file));
  }
  // prepare needs the build tools: the dev dependencies a clone would have after npm ci.
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  const out = tempDir('pack-');
  const packed = JSON.parse(
    await run('npm', ['pack', '--json', '--pack-destination', out], clone),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(out, packed[0]!.filename);
  files = packed[0]!.files.map((f) => f.path);
}, 120_000);

describe('the packed package', () => {
  it('ships the built code, manifest, schemas, README and licence, and nothing else', async () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'dist/src/index.js',
        'dist/src/index.d.ts',
        'dist/src/archive.js',
        'dist/src/cli/main.js',
        'connector.json',
        'schemas/connection.schema.json',
        'schemas/draft-07/connection.schema.json',
        'README.md',
        'LICENSE',
        'package.json',
        // The console's browser files: served as they are, so shipped from src/.
        'src/console/static/index.html',
        'src/console/static/app.js',
      ]),
    );
    const strays = files.filter(
      (f) =>
        /^(test|scripts|docs|dist\/test|dist\/scripts|src)\/|\.map$|\.ts$(?<!\.d\.ts)/.test(f) &&
        !/^src\/console\/static\/[a-z-]+\.(html|css|js)$/.test(f),
    );
    expect(strays).toEqual([]);
    // prepare bundles imapflow (scripts/bundle-imapflow.ts): the packed module is the bundle.
    const bundle = await run(
      'tar',
      ['-xzOf', tarball, 'package/dist/src/imap/imapflow-bundle.js'],
      REPO_ROOT,
    );
    expect(bundle.startsWith('// imap-connector: imapflow bundle\n')).toBe(true);
    // One .js and one .d.ts per module, plus manifest, schemas, their draft-07 twins and the
    // console's browser files: nothing else in bulk.
    const modules = files.filter((f) => /^dist\/src\/.*\.js$/.test(f)).length;
    expect(files.filter((f) => /^dist\/src\/.*\.d\.ts$/.test(f)).length).toBe(modules);
    expect(files.length).toBeLessThan(2 * modules + 60);
  });

  it('installs into a strict TypeScript host (skipLibCheck false) that type-checks and connects', async () => {
    const host = tempDir('ts-host-');
    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify({ name: 'ts-host', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@types/node@20'],
      host,
    );
    expect(readdirSync(join(host, 'node_modules'))).not.toContain('better-sqlite3');
    writeFileSync(join(host, 'host.ts'), HOST_SOURCE);
    writeFileSync(
      join(host, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          resolveJsonModule: true,
          types: ['node'],
        },
        files: ['host.ts'],
      }),
    );
    await run(process.execPath, [TSC, '-p', '.'], host);
    const output = JSON.parse(
      await run(process.execPath, ['host.js'], host, {
        HOST_CONFIG: JSON.stringify(await seededSource()),
        HOST_ARCHIVE: join(host, 'a.archive'),
        HOST_TARGET: JSON.stringify(makeConfig(freshUser(), { isTarget: true })),
        HOST_STATE: join(host, 'import.state'),
      }),
    );
    expect(output).toEqual({
      ok: true,
      code: 'OK',
      fields: readRepoJson<{ connectionFields: unknown[] }>('connector.json').connectionFields
        .length,
      schemaTitle: 'IMAP connection',
      archive: hasBuiltInSqlite ? 'ok' : 'SQLITE_UNAVAILABLE',
      // Before: FILE_WRITE_FAILED, "fix the path or permissions" (issue 24).
      imported: hasBuiltInSqlite ? 'ok' : 'SQLITE_UNAVAILABLE',
      archived: hasBuiltInSqlite ? '2 messages' : 'SQLITE_UNAVAILABLE',
    });
  }, 120_000);

  it('bundles with esbuild into one file that connects from anywhere on disk', async () => {
    const host = tempDir('bundle-host-');
    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify({ name: 'bundle-host', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], host);
    writeFileSync(join(host, 'host.ts'), HOST_SOURCE);
    const elsewhere = tempDir('bundle-out-');
    const outfile = join(elsewhere, 'host.mjs');
    await build({
      entryPoints: [join(host, 'host.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'silent',
      // The usual banner for ESM bundles of CommonJS code (imapflow's dependencies use require).
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    // Run far from the install: nothing can be found by walking up to a package.json.
    const output = JSON.parse(
      await run(process.execPath, [outfile], elsewhere, {
        HOST_CONFIG: JSON.stringify(await seededSource()),
        HOST_ARCHIVE: join(elsewhere, 'a.archive'),
        HOST_TARGET: JSON.stringify(makeConfig(freshUser(), { isTarget: true })),
        HOST_STATE: join(elsewhere, 'import.state'),
      }),
    );
    expect(output).toMatchObject({
      ok: true,
      code: 'OK',
      fields: readRepoJson<{ connectionFields: unknown[] }>('connector.json').connectionFields
        .length,
    });
    expect(output.archive).toBe(hasBuiltInSqlite ? 'ok' : 'SQLITE_UNAVAILABLE');
    expect(output.imported).toBe(hasBuiltInSqlite ? 'ok' : 'SQLITE_UNAVAILABLE');
    expect(output.archived).toBe(hasBuiltInSqlite ? '2 messages' : 'SQLITE_UNAVAILABLE');
  }, 120_000);
});

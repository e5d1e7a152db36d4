/**
 * Each CLI command, and the runtime entry, loads only what it needs (issue 30, memory at rest): the IMAP stack
 * (imapflow, 33 MB and 0.3 s of a process's start) only for commands that talk IMAP, the
 * validators' ajv not for --version, BullMQ, the web framework, LDAP and SMTP only where used.
 * A static import added to main.ts would load them all again with every test still green, so
 * this test watches the packages each command imports (a resolve hook, --import).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/repo-files.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The imapflow bundle as the build wrote it (scripts/bundle-imapflow.ts). */
const BUILT_BUNDLE = `${REPO_ROOT}/dist/src/imap/imapflow-bundle.js`;

const HOOK = fileURLToPath(new URL('../fixtures/loader/report-packages.mjs', import.meta.url));

/**
 * The packages `node ARGS` imports, in the order it first imports them; the imapflow bundle
 * (src/imap/imapflow-bundle.ts) counts as the package "imapflow bundle".
 */
function packagesOfNode(args: string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', HOOK, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IMAP_PASSWORD: '' },
  });
  expect(result.status, result.stderr).toBe(0);
  return [...result.stderr.matchAll(/^(package|bundle): (.+)$/gm)].map((match) =>
    match[1] === 'bundle' ? `${match[2]} bundle` : match[2]!,
  );
}

// What the imapflow bundle holds: a process that loads any of these loads them beside it.
const BUNDLED = ['imapflow', 'libmime', 'pino', 'socks', 'iconv-lite', '@zone-eu/mailsplit'];

/** The packages `imap-connector ARGS` imports. */
const packagesOf = (args: string[]): string[] => packagesOfNode([CLI, ...args]);

const HEAVY = [
  'imapflow',
  'imapflow bundle',
  'mailparser',
  'bullmq',
  'ioredis',
  'hono',
  'ldapts',
  'nodemailer',
];

describe('what a CLI command loads', () => {
  it('--version and --help load no package at all', () => {
    expect(packagesOf(['--version'])).toEqual([]);
    expect(packagesOf(['--help'])).toEqual([]);
  });

  it('the archive commands load neither the IMAP stack nor the queue, web, LDAP or SMTP ones', () => {
    const loaded = packagesOf(['archive', '--help']);
    for (const name of HEAVY) expect(loaded).not.toContain(name);
  });

  it('read loads imapflow as one bundle, and not the queue, the web framework, LDAP or SMTP', () => {
    const loaded = packagesOf(['read', '--help']);
    expect(loaded).toContain('imapflow bundle');
    for (const name of [...BUNDLED, 'bullmq', 'ioredis', 'hono', 'ldapts', 'nodemailer'])
      expect(loaded).not.toContain(name);
  });

  it('the built imapflow module is the bundle, not the re-exports tsc writes', () => {
    // Without the bundle step the build still works, only slower: this is what notices.
    const built = readFileSync(BUILT_BUNDLE, 'utf8');
    expect(built.startsWith('// imap-connector: imapflow bundle\n')).toBe(true);
    expect(built).not.toMatch(/from ['"](imapflow|libmime)['"]/);
  });

  it('the bundle holds one iconv-lite, no pino or socks, and encoding-japanese behind a first use', () => {
    // scripts/bundle-slimming.ts: 71-79 ms to load the bundle with all of them, 37-45 without.
    const built = readFileSync(BUILT_BUNDLE, 'utf8');
    expect(built.split('Encoding not recognized').length - 1).toBe(1); // iconv-lite's error
    expect(built).not.toMatch(/node_modules\/(pino|thread-stream|socks|ip-address)\//);
    expect(built).toContain('loadEncodingJapaneseOnFirstUse');
    // Each charset library still decodes through the bundle: Japanese, Cyrillic, Chinese.
    const decoded = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { libmime } = await import(${JSON.stringify(BUILT_BUNDLE)});
         process.stdout.write(libmime.decodeWords('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= =?windows-1251?B?z/Do4uXy?= =?GB2312?B?1tDOxA==?='));`,
      ],
      { encoding: 'utf8' },
    );
    expect(decoded.stdout, decoded.stderr).toBe('日本語Привет中文');
  });
});

describe('what the runtime entry loads', () => {
  const INDEX = `${REPO_ROOT}/dist/src/index.js`;

  it('loads no IMAP stack until an operation is called, then what that operation needs', () => {
    // A host (Node-RED, n8n, a bundle) loads the entry at start, mostly long before it connects.
    const loaded = packagesOfNode([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(INDEX)});`,
    ]);
    for (const name of HEAVY) expect(loaded).not.toContain(name);
    // The batch profile's YAML and the mailbox CSV's parser only when a profile or list is read.
    for (const name of ['yaml', 'csv-parse']) expect(loaded).not.toContain(name);
    // The first call loads the operation: readStream fails on the config, after loading it.
    const reading = packagesOfNode([
      '--input-type=module',
      '-e',
      `const { readStream } = await import(${JSON.stringify(INDEX)});
       try { for await (const row of readStream({})) void row; } catch (error) { if (error.code !== 'CONFIG_INVALID') throw error; }`,
    ]);
    expect(reading).toContain('imapflow bundle');
    for (const name of [
      ...BUNDLED,
      'bullmq',
      'ioredis',
      'hono',
      'ldapts',
      'nodemailer',
      'yaml',
      'csv-parse',
    ])
      expect(reading).not.toContain(name);
  });
});

describe("a command's compile cache", () => {
  const filesUnder = (dir: string): number =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
          .length
      : 0;

  /** Runs `read --help` with `env` over this process's, where neither cache setting is set. */
  function runCommand(env: Record<string, string>): void {
    const { NODE_COMPILE_CACHE: _set, XDG_CACHE_HOME: _home, ...inherited } = process.env;
    const result = spawnSync(process.execPath, [CLI, 'read', '--help'], {
      encoding: 'utf8',
      env: { ...inherited, ...env },
    });
    expect(result.status, result.stderr).toBe(0);
  }

  const nodeHasIt =
    typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  it("keeps compiled code in the user's cache directory where Node has a compile cache (22.1+)", () => {
    const cacheHome = tempDir('cache-home-');
    const tmp = tempDir('tmp-');
    runCommand({ XDG_CACHE_HOME: cacheHome, TMPDIR: tmp });
    expect(filesUnder(join(cacheHome, 'imap-connector', 'compile-cache')) > 0).toBe(nodeHasIt);
    // Never in the shared temporary directory, where another user could plant compiled code.
    expect(filesUnder(tmp)).toBe(0);
  });

  it('keeps it where NODE_COMPILE_CACHE says, and none with NODE_DISABLE_COMPILE_CACHE=1', () => {
    const cacheHome = tempDir('cache-home-');
    const named = tempDir('named-');
    runCommand({ XDG_CACHE_HOME: cacheHome, NODE_COMPILE_CACHE: named });
    expect(filesUnder(named) > 0).toBe(nodeHasIt);
    expect(filesUnder(cacheHome)).toBe(0);
    runCommand({ XDG_CACHE_HOME: cacheHome, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(filesUnder(cacheHome)).toBe(0);
  });
});

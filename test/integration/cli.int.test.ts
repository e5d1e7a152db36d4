/**
 * The command line against the private Dovecot: secrets from the environment or a file, human
 * and JSON output, and one exit code per error class. The last test runs the built binary as a
 * separate process, as a user would.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { REPO_ROOT as PACKAGE_ROOT } from '../helpers/repo-files.js';
import { freePort } from '../helpers/dovecot.js';
import { captureIo } from '../helpers/capture-io.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { startSilentServer } from '../helpers/silent-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const flags = (port: number, user: string): string[] => [
  'test-connection',
  '--server',
  '127.0.0.1',
  '--port',
  String(port),
  '--security',
  'none',
  '--username',
  user,
];

describe('imap-connector test-connection', () => {
  it('succeeds with the password from IMAP_PASSWORD and prints a summary', async () => {
    const user = freshUser();
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(flags(dovecot().imapPort, user.name), io)).toBe(0);
    expect(io.out()).toMatch(
      new RegExp(
        `^OK  Connected to 127\\.0\\.0\\.1:${dovecot().imapPort} as ${user.name}; 5 folders\\.`,
      ),
    );
    expect(io.out()).toContain('Sent (\\Sent)');
  });

  it('reads the password from --password-file and a config file from --config', async () => {
    const user = freshUser();
    const dir = tempDir();
    writeFileSync(join(dir, 'pw'), user.password + '\n');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        server: `imaps://127.0.0.1:${dovecot().imapsPort}`,
        username: user.name,
        caFile: dovecot().caFile,
      }),
    );
    const io = captureIo();
    expect(
      await main(
        [
          'test-connection',
          '--config',
          join(dir, 'config.json'),
          '--password-file',
          join(dir, 'pw'),
          '--json',
        ],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ ok: true, server: { security: 'tls' } });
  });

  it('exits 3 for a wrong password', async () => {
    const user = freshUser();
    const io = captureIo({ IMAP_PASSWORD: 'wrong-password' });
    expect(await main(flags(dovecot().imapPort, user.name), io)).toBe(3);
    expect(io.out()).toContain('FAILED  AUTH_FAILED');
  });

  it('exits 4 for a closed port and for an untrusted certificate', async () => {
    const user = freshUser();
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(flags(await freePort(), user.name), io)).toBe(4);
    const tls = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(
        [
          'test-connection',
          '--server',
          `imaps://127.0.0.1:${dovecot().imapsPort}`,
          '--username',
          user.name,
        ],
        tls,
      ),
    ).toBe(4);
    expect(tls.out()).toContain('TLS_FAILED');
  });

  it('exits 5 when the server never greets', async () => {
    const silent = await startSilentServer();
    try {
      const io = captureIo({ IMAP_PASSWORD: 'x-password' });
      expect(await main([...flags(silent.port, 'nobody'), '--timeout', '500'], io)).toBe(5);
      expect(io.out()).toContain('CONNECT_TIMEOUT');
    } finally {
      await silent.close();
    }
  });

  it('runs as a separate process from the built entry point', async () => {
    const bin = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');
    expect(existsSync(bin), 'dist/ is missing: run "npm run build" (npm test does)').toBe(true);
    const user = freshUser();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, ...flags(dovecot().imapPort, user.name), '--json'],
      { env: { ...process.env, IMAP_PASSWORD: user.password } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, authenticatedAs: user.name });
  });
});

describe('imap-connector as a person meets it', () => {
  it('prints its version, and suggests the command a typo meant', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../helpers/capture-io.js');
    const version = captureIo();
    expect(await main(['--version'], version)).toBe(0);
    expect(version.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
    const typo = captureIo();
    expect(await main(['improt'], typo)).toBe(2);
    expect(typo.err()).toMatch(/Unknown command "improt" \(did you mean "import"\?\)/);
  });

  it('(SIGTERM during read --all) saves its state, says STOPPED once and exits 143; the next run goes on with nothing twice', async () => {
    const { spawn } = await import('node:child_process');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { CLI } = await import('../helpers/cli.js');
    const { tempDir } = await import('../helpers/temp-dir.js');
    const { dovecot, freshUser, makeConfig } = await import('../helpers/make-config.js');
    const { seedMailbox } = await import('../helpers/seed.js');
    const user = freshUser('sg');
    await seedMailbox(dovecot(), user, {
      INBOX: Array.from({ length: 40 }, (_, i) => ({ source: `Subject: s ${i}\r\n\r\nx\r\n` })),
    });
    const dir = tempDir();
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ ...makeConfig(user), password: undefined, delayBetweenMessages: '0.05' }),
    );
    const args = [
      CLI,
      'read',
      '--config',
      join(dir, 'c.json'),
      '--query',
      'ALL',
      '--all',
      '--page-size',
      '5',
      '--state',
      join(dir, 's.json'),
      '--out',
      join(dir, 'rows.ndjson'),
    ];
    const env = { ...process.env, IMAP_PASSWORD: user.password };
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    await new Promise((resolve) => setTimeout(resolve, 900));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(err.match(/^STOPPED/gm)).toHaveLength(1);
    const rerun = spawn(process.execPath, args, { env, stdio: 'ignore' });
    expect(await new Promise((resolve) => rerun.on('exit', resolve))).toBe(0);
    const subjects = readFileSync(join(dir, 'rows.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { subject: string }).subject);
    expect(subjects).toEqual(Array.from({ length: 40 }, (_, i) => `s ${i}`));
  }, 30_000);
});

describe('what a failed command prints', () => {
  it('lists the folders the server has when a named folder is missing, and offers no resume for a wrong password', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../helpers/capture-io.js');
    const { cliConnection, freshUser } = await import('../helpers/make-config.js');
    const user = freshUser('rf');
    const flags = cliConnection(user);
    const missing = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(['read', ...flags, '--query', 'ALL FOLDER Nowhere'], missing)).toBe(6);
    expect(missing.err()).toMatch(/^ {2}folders {7}"INBOX", .*"Sent"/m);
    const wrong = captureIo({ IMAP_PASSWORD: 'not-the-password' });
    expect(await main(['read', ...flags, '--query', 'ALL'], wrong)).toBe(3);
    expect(wrong.err()).toMatch(/AUTH_FAILED/);
    expect(wrong.err()).not.toMatch(/resume with/);
  });
});

describe('a command line that cannot run', () => {
  it('is USAGE_INVALID with a hint about the command line, not about connection settings', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../helpers/capture-io.js');
    const io = captureIo({ IMAP_PASSWORD: 'x' });
    expect(
      await main(['import', '--server', '127.0.0.1', '--port', '1', '--username', 'u'], io),
    ).toBe(2);
    expect(io.err()).toMatch(
      /^FAILED {2}USAGE_INVALID {2}Invalid command line: give --archive FILE or --target FILE --state FILE/m,
    );
    expect(io.err()).toMatch(/hint {10}Check the command line: run the command with --help/);
  });
});

describe('a mistyped flag', () => {
  it('is USAGE_INVALID and names the flag it probably meant', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../helpers/capture-io.js');
    const io = captureIo();
    expect(await main(['read', '--stat', 'x.json'], io)).toBe(2);
    expect(io.err()).toMatch(
      /USAGE_INVALID {2}Invalid command line: unknown option --stat \(did you mean "--state"\?\)/,
    );
  });
});

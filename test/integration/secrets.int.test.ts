/**
 * Secrets never appear in any output. Every failing path runs with known sentinel secrets and a
 * debug logger that records everything (including imapflow's protocol log), and the results,
 * log lines, CLI output and error stacks are searched for the sentinels, plain and base64.
 */
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { validateConfig } from '../../src/config/validate-config.js';
import { openSession } from '../../src/imap/open-session.js';
import { read, runImport, testConnection, write } from '../../src/index.js';
import type { Logger } from '../../src/operation-options.js';
import { captureIo } from '../helpers/capture-io.js';
import { freePort } from '../helpers/dovecot.js';
import { cliConnection, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { startSilentServer } from '../helpers/silent-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const SENTINELS = {
  password: 'SENTINEL-pw-7f3a9',
  oauth2AccessToken: 'SENTINEL-at-91c2e',
  oauth2RefreshToken: 'SENTINEL-rt-55d0b',
  oauth2ClientSecret: 'SENTINEL-cs-0b8e4',
};
const TOKEN_URL = 'https://login.example.test/oauth2/token';

function recordingLogger(lines: string[]): Logger {
  const write =
    (level: string) =>
    (entry: Record<string, unknown>): void => {
      lines.push(JSON.stringify({ level, ...entry }));
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function expectNoSecret(output: string, username: string): void {
  for (const secret of Object.values(SENTINELS)) {
    expect(output).not.toContain(secret);
    expect(output).not.toContain(Buffer.from(secret).toString('base64'));
    // The SASL PLAIN payload as a whole (RFC 4616: authzid NUL authcid NUL passwd).
    expect(output).not.toContain(
      Buffer.from(`\u0000${username}\u0000${secret}`).toString('base64'),
    );
  }
  expect(output).not.toContain('SENTINEL');
}

describe('secrets in output', () => {
  it.each([
    [
      'wrong password, plain',
      async () => makeConfig(freshUser(), { password: SENTINELS.password }),
    ],
    [
      'wrong password, TLS',
      async () =>
        makeConfig(freshUser(), {
          password: SENTINELS.password,
          security: 'tls',
          port: dovecot().imapsPort,
          caFile: dovecot().caFile,
        }),
    ],
    [
      'untrusted certificate',
      async () =>
        makeConfig(freshUser(), {
          password: SENTINELS.password,
          security: 'tls',
          port: dovecot().imapsPort,
        }),
    ],
    [
      'master user refused',
      async () =>
        makeConfig(freshUser('t', { masterMayOpen: false }), {
          authMethod: 'masterUser',
          username: dovecot().master.name,
          password: SENTINELS.password,
        }),
    ],
    [
      'closed port',
      async () => makeConfig(freshUser(), { password: SENTINELS.password, port: await freePort() }),
    ],
    [
      'bad access token',
      async () => ({
        ...makeConfig(freshUser(), {
          authMethod: 'oauth2',
          oauth2AccessToken: SENTINELS.oauth2AccessToken,
        }),
        password: undefined,
      }),
    ],
    [
      'refused refresh token echoed by the provider',
      async () => {
        mswServer.use(
          http.post(TOKEN_URL, () =>
            HttpResponse.json(
              {
                error: 'invalid_grant',
                error_description: `refresh token ${SENTINELS.oauth2RefreshToken} for client secret ${SENTINELS.oauth2ClientSecret} is revoked`,
              },
              { status: 400 },
            ),
          ),
        );
        return {
          ...makeConfig(freshUser(), {
            authMethod: 'oauth2',
            oauth2RefreshToken: SENTINELS.oauth2RefreshToken,
            oauth2ClientId: 'c',
            oauth2ClientSecret: SENTINELS.oauth2ClientSecret,
            oauth2TokenUrl: TOKEN_URL,
          }),
          password: undefined,
        };
      },
    ],
    [
      'invalid config holding secrets',
      async () => ({
        ...makeConfig(freshUser(), { password: SENTINELS.password, port: 0 }),
        oauth2ClientSecret: SENTINELS.oauth2ClientSecret,
      }),
    ],
    [
      'secret of the wrong type',
      async () => ({
        ...makeConfig(freshUser()),
        password: 12345678,
        oauth2AccessToken: SENTINELS.oauth2AccessToken,
      }),
    ],
  ] as [string, () => Promise<Record<string, unknown>>][])(
    'leaks nothing on %s',
    async (_name, makeInput) => {
      const input = await makeInput();
      const lines: string[] = [];
      const result = await testConnection(input, { logger: recordingLogger(lines) });
      expect(result.ok).toBe(false);
      expectNoSecret(JSON.stringify(result) + lines.join('\n'), String(input.username));
    },
  );

  it('leaks nothing from a silent server timeout', async () => {
    const silent = await startSilentServer();
    try {
      const lines: string[] = [];
      const result = await testConnection(
        makeConfig(freshUser(), { password: SENTINELS.password, port: silent.port, timeout: 300 }),
        { logger: recordingLogger(lines) },
      );
      expect(result.code).toBe('CONNECT_TIMEOUT');
      expectNoSecret(JSON.stringify(result) + lines.join('\n'), 'x');
    } finally {
      await silent.close();
    }
  });

  it('leaks nothing in the debug log of a successful login, nor in thrown errors and their stacks', async () => {
    const user = freshUser();
    const lines: string[] = [];
    const ok = await testConnection(makeConfig(user), { logger: recordingLogger(lines) });
    expect(ok.ok).toBe(true);
    expect(lines.some((line) => line.includes('AUTHENTICATE'))).toBe(true);
    for (const secret of [
      user.password,
      Buffer.from(`\u0000${user.name}\u0000${user.password}`).toString('base64'),
    ]) {
      expect(lines.join('\n')).not.toContain(secret);
    }
    const error = await openSession(
      validateConfig(makeConfig(user, { password: SENTINELS.password })),
    ).then(
      () => new Error('expected AUTH_FAILED'),
      (e: unknown) => e as Error,
    );
    expect((error as { code?: string }).code).toBe('AUTH_FAILED');
    expectNoSecret(`${error.message}\n${error.stack}\n${JSON.stringify(error)}`, user.name);
  });

  it('leaks nothing from failing reads, thrown errors included', async () => {
    const user = freshUser();
    const lines: string[] = [];
    for (const [config, query] of [
      [makeConfig(user, { password: SENTINELS.password }), 'ALL'],
      [{ ...makeConfig(user), oauth2ClientSecret: SENTINELS.oauth2ClientSecret, port: 0 }, 'ALL'],
      [makeConfig(user, { password: SENTINELS.password }), 'SINCE never'],
    ] as const) {
      const error = await read(config, query, { logger: recordingLogger(lines) }).then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
      expect((error as { code?: string }).code).toMatch(/AUTH_FAILED|CONFIG_INVALID|QUERY_INVALID/);
      expectNoSecret(
        `${error.message}\n${error.stack}\n${JSON.stringify(error)}\n${lines.join('\n')}`,
        user.name,
      );
    }
  });

  it('leaks nothing through the CLI, human or JSON, verbose or not', async () => {
    const user = freshUser();
    for (const extra of [[], ['--json'], ['--verbose'], ['--json', '--verbose']]) {
      const io = captureIo({
        IMAP_PASSWORD: SENTINELS.password,
        IMAP_OAUTH2_CLIENT_SECRET: SENTINELS.oauth2ClientSecret,
      });
      const code = await main(['test-connection', ...cliConnection(user), ...extra], io);
      expect(code).toBe(3);
      expectNoSecret(io.out() + io.err(), user.name);
    }
  });

  it('leaks nothing from failing writes and imports, source or target side, thrown errors and partial results included', async () => {
    const user = freshUser();
    const other = freshUser();
    const lines: string[] = [];
    const failures: unknown[] = [];
    const attempts: (() => Promise<unknown>)[] = [
      () =>
        write(
          makeConfig(user, { isTarget: true, password: SENTINELS.password }),
          { messages: [{ raw: 'QQ==' }] },
          { logger: recordingLogger(lines) },
        ),
      () =>
        write(
          {
            ...makeConfig(user, { isTarget: true }),
            oauth2ClientSecret: SENTINELS.oauth2ClientSecret,
            port: 0,
          },
          { messages: [{ raw: 'QQ==' }] },
        ),
      () =>
        runImport(
          makeConfig(user, { password: SENTINELS.password }),
          { destination: { archive: join(tempDir(), `secrets-${user.name}.archive`) } },
          { logger: recordingLogger(lines) },
        ),
      () =>
        runImport(
          makeConfig(user),
          {
            destination: {
              connection: makeConfig(other, { isTarget: true, password: SENTINELS.password }),
              state: join(tempDir(), `secrets-${other.name}.db`),
            },
          },
          { logger: recordingLogger(lines) },
        ),
      () =>
        runImport(makeConfig(user), {
          destination: {
            connection: {
              ...makeConfig(other, { isTarget: true }),
              password: 123,
              oauth2AccessToken: SENTINELS.oauth2AccessToken,
            },
            state: 's.db',
          },
        }),
    ];
    for (const attempt of attempts)
      failures.push(
        await attempt().then(
          () => new Error('expected a failure'),
          (e: unknown) => e,
        ),
      );
    expect(failures.map((e) => (e as { code?: string }).code)).toEqual([
      'AUTH_FAILED',
      'CONFIG_INVALID',
      'AUTH_FAILED',
      'AUTH_FAILED',
      'CONFIG_INVALID',
    ]);
    expectNoSecret(
      failures
        .map((e) => `${(e as Error).message}\n${(e as Error).stack}\n${JSON.stringify(e)}`)
        .join('\n') + lines.join('\n'),
      user.name,
    );
    expectNoSecret(lines.join('\n'), other.name);
  });

  it('leaks nothing through the import CLI, with the target secret from IMAP_TARGET_PASSWORD', async () => {
    const user = freshUser();
    const other = freshUser();
    const { writeFileSync } = await import('node:fs');
    const dir = tempDir();
    writeFileSync(
      `${dir}/target.json`,
      JSON.stringify({ ...makeConfig(other, { isTarget: true }), password: undefined }),
    );
    for (const extra of [[], ['--json'], ['--verbose']]) {
      const io = captureIo({
        IMAP_PASSWORD: user.password,
        IMAP_TARGET_PASSWORD: SENTINELS.password,
      });
      const code = await main(
        [
          'import',
          ...cliConnection(user),
          '--target',
          `${dir}/target.json`,
          '--state',
          `${dir}/state.db`,
          ...extra,
        ],
        io,
      );
      expect(code).toBe(3);
      expect(io.err()).toContain('AUTH_FAILED');
      expectNoSecret(io.out() + io.err(), other.name);
    }
  });
});

/**
 * testConnection against the run's private Dovecot: every security mode, certificate checks,
 * each auth method, and the failures a person meets (wrong password, closed port, silent
 * server, master user without rights). Each test logs in as a user of its own.
 */
import { readFileSync } from 'node:fs';
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { testConnection } from '../../src/index.js';
import { addOAuthToken, freePort } from '../helpers/dovecot.js';
import { eml } from '../helpers/fixtures.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { startSilentServer } from '../helpers/silent-server.js';

const DEFAULT_FOLDERS = ['INBOX', 'Drafts', 'Junk', 'Sent', 'Trash'];

describe('testConnection', () => {
  it('logs in over implicit TLS when the certificate is trusted through caFile', async () => {
    const user = freshUser();
    const result = await testConnection(
      makeConfig(user, { security: 'tls', port: dovecot().imapsPort, caFile: dovecot().caFile }),
    );
    expect(result).toMatchObject({
      ok: true,
      code: 'OK',
      authenticatedAs: user.name,
      authMethod: 'password',
      warnings: [],
    });
    expect(result.folders?.items.map((f) => f.path)).toEqual(DEFAULT_FOLDERS);
    expect(result.server?.capabilities.map((c) => c.toUpperCase())).toContain('IMAP4REV1');
    expect(result.server?.greeting).toMatch(/ready/i);
  });

  it('trusts a certificate given as PEM text in ca (no file on the host needed)', async () => {
    const user = freshUser();
    const ca = readFileSync(dovecot().caFile, 'utf8');
    const result = await testConnection(
      makeConfig(user, { security: 'tls', port: dovecot().imapsPort, ca }),
    );
    expect(result).toMatchObject({ ok: true, code: 'OK', authenticatedAs: user.name });
    // Without it the same login fails on the certificate: the field is what made it work.
    const refused = await testConnection(
      makeConfig(user, { security: 'tls', port: dovecot().imapsPort }),
    );
    expect(refused.code).toBe('TLS_FAILED');
  });

  it('refuses a ca that holds no certificate, naming the field, before connecting', async () => {
    const result = await testConnection(
      makeConfig(freshUser(), {
        ca: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----',
      }),
    );
    expect(result).toMatchObject({ ok: false, code: 'CONFIG_INVALID' });
    expect(result.message).toContain('ca does not hold a readable PEM certificate');
  });

  it('refuses the self-signed certificate by default on implicit TLS, naming the problem', async () => {
    const result = await testConnection(
      makeConfig(freshUser(), { security: 'tls', port: dovecot().imapsPort }),
    );
    expect(result).toMatchObject({
      ok: false,
      code: 'TLS_FAILED',
      error: { details: { certificateError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, retryable: false },
    });
    expect(result.message).toContain('self-signed');
  });

  it('refuses the self-signed certificate by default after STARTTLS', async () => {
    const result = await testConnection(makeConfig(freshUser(), { security: 'starttls' }));
    expect(result).toMatchObject({
      ok: false,
      code: 'TLS_FAILED',
      error: { details: { certificateError: 'DEPTH_ZERO_SELF_SIGNED_CERT' } },
    });
  });

  it('accepts any certificate only when ignoreCertificateErrors is set, and warns about it', async () => {
    const user = freshUser();
    for (const [security, port] of [
      ['tls', dovecot().imapsPort],
      ['starttls', dovecot().imapPort],
    ] as const) {
      const result = await testConnection(
        makeConfig(user, { security, port, ignoreCertificateErrors: true }),
      );
      expect(result.ok, security).toBe(true);
      expect(result.warnings.join(' ')).toContain('ignoreCertificateErrors');
    }
  });

  it('upgrades with STARTTLS and verifies against caFile', async () => {
    const user = freshUser();
    const result = await testConnection(
      makeConfig(user, { security: 'starttls', caFile: dovecot().caFile }),
    );
    expect(result).toMatchObject({ ok: true, authenticatedAs: user.name, warnings: [] });
  });

  it('reads port and security from an imaps:// URL in the server field', async () => {
    const user = freshUser();
    const { port: _port, security: _security, ...rest } = makeConfig(user);
    const result = await testConnection({
      ...rest,
      server: `imaps://127.0.0.1:${dovecot().imapsPort}`,
      caFile: dovecot().caFile,
    });
    expect(result).toMatchObject({
      ok: true,
      server: { port: dovecot().imapsPort, security: 'tls' },
    });
  });

  it('connects without encryption when security is none, and warns that the password travels in clear', async () => {
    const result = await testConnection(makeConfig(freshUser()));
    expect(result).toMatchObject({ ok: true });
    expect(result.warnings).toEqual(['security is "none": the password travels unencrypted.']);
  });

  it('lists folders with decoded non-ASCII names and special-use flags', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      Überweisungen: [{ source: eml('multipart-alternative.eml') }],
      'Archiv/2024': [{ source: eml('plain.eml') }],
    });
    const result = await testConnection(makeConfig(user));
    const byPath = Object.fromEntries(result.folders!.items.map((f) => [f.path, f.specialUse]));
    expect(byPath).toMatchObject({
      INBOX: '\\Inbox',
      Sent: '\\Sent',
      Trash: '\\Trash',
      Überweisungen: null,
      'Archiv/2024': null,
    });
    expect(result.folders!.count).toBe(8);
  });

  it('reports AUTH_FAILED for a wrong password, without retry advice', async () => {
    const user = freshUser();
    const result = await testConnection(makeConfig(user, { password: 'not-the-password' }));
    expect(result).toMatchObject({
      ok: false,
      code: 'AUTH_FAILED',
      error: { retryable: false, details: { serverResponseCode: 'AUTHENTICATIONFAILED' } },
    });
  });

  it("opens another user's mailbox as master user with SASL PLAIN authzid", async () => {
    const target = freshUser('t');
    const { master } = dovecot();
    const result = await testConnection(
      makeConfig(target, {
        authMethod: 'masterUser',
        username: master.name,
        password: master.password,
        authorizationIdentity: target.name,
      }),
    );
    expect(result).toMatchObject({
      ok: true,
      authMethod: 'masterUser',
      authenticatedAs: target.name,
    });
  });

  it('reports AUTHZ_FAILED when the master user may not open that mailbox', async () => {
    const target = freshUser('t', { masterMayOpen: false });
    const { master } = dovecot();
    const refused = await testConnection(
      makeConfig(target, {
        authMethod: 'masterUser',
        username: master.name,
        password: master.password,
        authorizationIdentity: target.name,
      }),
    );
    expect(refused).toMatchObject({
      ok: false,
      code: 'AUTHZ_FAILED',
      error: { details: { serverResponseCode: 'AUTHORIZATIONFAILED' } },
    });
    // The same mailbox still opens with its own password: the refusal is about the master's rights.
    expect((await testConnection(makeConfig(target))).ok).toBe(true);
  });

  it('refuses a normal user acting as another user', async () => {
    const other = freshUser();
    const user = freshUser();
    const result = await testConnection(
      makeConfig(user, { authMethod: 'masterUser', authorizationIdentity: other.name }),
    );
    expect(result).toMatchObject({ ok: false, code: 'AUTH_FAILED' });
  });

  it('logs in with an OAuth2 access token on the wire', async () => {
    const user = freshUser();
    const token = `at-${user.name}-valid`;
    addOAuthToken(dovecot(), token, user.name);
    const { password: _password, ...config } = makeConfig(user, {
      authMethod: 'oauth2',
      oauth2AccessToken: token,
    });
    expect(await testConnection(config)).toMatchObject({
      ok: true,
      authMethod: 'oauth2',
      authenticatedAs: user.name,
    });
  });

  it('reports AUTH_FAILED for an OAuth2 token the server does not accept', async () => {
    const user = freshUser();
    const { password: _password, ...config } = makeConfig(user, {
      authMethod: 'oauth2',
      oauth2AccessToken: 'at-revoked-000000',
    });
    expect(await testConnection(config)).toMatchObject({ ok: false, code: 'AUTH_FAILED' });
  });

  it('exchanges a refresh token at the token URL, then logs in with the new access token', async () => {
    const user = freshUser();
    const accessToken = `at-${user.name}-refreshed`;
    addOAuthToken(dovecot(), accessToken, user.name);
    let form: URLSearchParams | undefined;
    mswServer.use(
      http.post('https://login.example.test/oauth2/token', async ({ request }) => {
        form = new URLSearchParams(await request.text());
        return HttpResponse.json({
          access_token: accessToken,
          token_type: 'Bearer',
          expires_in: 3600,
        });
      }),
    );
    const { password: _password, ...config } = makeConfig(user, {
      authMethod: 'oauth2',
      oauth2RefreshToken: 'rt-long-lived-1',
      oauth2ClientId: 'client-1',
      oauth2ClientSecret: 'cs-secret-1',
      oauth2TokenUrl: 'https://login.example.test/oauth2/token',
    });
    const result = await testConnection(config);
    expect(result).toMatchObject({ ok: true, authenticatedAs: user.name });
    expect(Object.fromEntries(form!)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-long-lived-1',
      client_id: 'client-1',
      client_secret: 'cs-secret-1',
    });
  });

  it('reports CONNECT_REFUSED for a closed port', async () => {
    const result = await testConnection(makeConfig(freshUser(), { port: await freePort() }));
    expect(result).toMatchObject({
      ok: false,
      code: 'CONNECT_REFUSED',
      error: { retryable: true },
    });
  });

  it('gives CONNECT_TIMEOUT within the timeout plus 10% when the server accepts TCP but never greets', async () => {
    const silent = await startSilentServer();
    const TIMEOUT_MS = 1500;
    try {
      const started = Date.now();
      const result = await testConnection(
        makeConfig(freshUser(), { port: silent.port, timeout: TIMEOUT_MS }),
      );
      const elapsed = Date.now() - started;
      expect(result).toMatchObject({
        ok: false,
        code: 'CONNECT_TIMEOUT',
        error: { retryable: true },
      });
      expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(elapsed).toBeLessThanOrEqual(TIMEOUT_MS * 1.1);
    } finally {
      await silent.close();
    }
  });

  it('reports TLS_FAILED when security says tls but the port speaks plain IMAP', async () => {
    const result = await testConnection(
      makeConfig(freshUser(), {
        security: 'tls',
        port: dovecot().imapPort,
        ignoreCertificateErrors: true,
      }),
    );
    expect(result).toMatchObject({ ok: false, code: 'TLS_FAILED' });
  });

  it('reports every config problem at once, with paths', async () => {
    const result = await testConnection({
      server: 'imaps://127.0.0.1',
      port: 70000,
      username: '',
      password: 'x',
      pageSize: 0,
      colour: 'blue',
    });
    expect(result.code).toBe('CONFIG_INVALID');
    const issues = result.error?.details?.issues as { field: string; message: string }[];
    expect(issues.map((i) => i.field).sort()).toEqual([
      '/colour',
      '/pageSize',
      '/port',
      '/port',
      '/username',
    ]);
    expect(issues.map((i) => i.message)).toContain('port must be 1-65535, got 70000');
  });

  it('opens no connection at all for an invalid config', async () => {
    const listener = await startSilentServer();
    try {
      const result = await testConnection(
        makeConfig(freshUser(), { port: listener.port, pageSize: 0 }),
      );
      expect(result.code).toBe('CONFIG_INVALID');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('logs in with Dovecot\'s "user*master" form as well', async () => {
    const target = freshUser('t');
    const { master } = dovecot();
    const result = await testConnection(
      makeConfig(target, { username: `${target.name}*${master.name}`, password: master.password }),
    );
    expect(result).toMatchObject({ ok: true, authenticatedAs: `${target.name}*${master.name}` });
    expect(result.folders?.count).toBe(5);
  });

  it('returns ABORTED when the caller aborts', async () => {
    const silent = await startSilentServer();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const result = await testConnection(
        makeConfig(freshUser(), { port: silent.port, timeout: 10 * 1000 }),
        { signal: controller.signal },
      );
      expect(result).toMatchObject({ ok: false, code: 'ABORTED' });
      expect(result.latencyMs).toBeLessThan(2000);
    } finally {
      await silent.close();
    }
  });
});

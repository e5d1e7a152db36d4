/**
 * The shared Dovecot offers OAUTHBEARER, which imapflow prefers. This file starts a second
 * private Dovecot that offers XOAUTH2 only (as Gmail and Office 365 do), to prove that
 * mechanism on the wire too. Its log shows which mechanism the login used.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConnection } from '../../src/index.js';
import { addOAuthToken, startDovecot, type DovecotServer } from '../helpers/dovecot.js';

let server: DovecotServer;
beforeAll(async () => {
  server = await startDovecot({
    users: [{ name: 'xo', password: 'xo-password' }],
    authMechanisms: 'plain login xoauth2',
  });
});
afterAll(async () => server?.stop());

describe('testConnection with XOAUTH2', () => {
  it('logs in with an access token when the server offers only XOAUTH2', async () => {
    addOAuthToken(server, 'at-xoauth2-valid', 'xo');
    const result = await testConnection({
      server: server.host,
      port: server.imapPort,
      security: 'none',
      authMethod: 'oauth2',
      username: 'xo',
      oauth2AccessToken: 'at-xoauth2-valid',
    });
    expect(result).toMatchObject({ ok: true, authenticatedAs: 'xo' });
    expect(readFileSync(server.logFile, 'utf8')).toMatch(/Login: user=<xo>, method=XOAUTH2/);
  });
});

/**
 * The OAuth2 refresh-token exchange against an msw token endpoint: success, the endpoint's
 * error answers (RFC 6749 section 5.2), broken bodies, an unreachable endpoint and the
 * deadline. No answer may leak the refresh token or client secret.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate-config.js';
import { Deadline } from '../../../src/imap/deadline.js';
import { refreshAccessToken } from '../../../src/imap/refresh-access-token.js';
import { mswServer } from '../../helpers/msw-server.js';

const TOKEN_URL = 'https://login.example.test/token';
const config = validateConfig({
  server: 'mail.example.com',
  username: 'carol',
  authMethod: 'oauth2',
  oauth2RefreshToken: 'rt-SENTINEL-1',
  oauth2ClientId: 'cid',
  oauth2ClientSecret: 'cs-SENTINEL-2',
  oauth2TokenUrl: TOKEN_URL,
  oauth2Scope: 'https://mail.example.test/.default',
});
const secrets = ['rt-SENTINEL-1', 'cs-SENTINEL-2'];
const run = (budgetMs = 5000): Promise<unknown> =>
  refreshAccessToken(config, new Deadline(budgetMs, 'CONNECT_TIMEOUT'), secrets);

async function failure(): Promise<Record<string, unknown>> {
  try {
    await run();
  } catch (error) {
    const json = (error as { toJSON(): Record<string, unknown> }).toJSON();
    expect(JSON.stringify(json)).not.toMatch(/SENTINEL/);
    return json;
  }
  throw new Error('expected a failure');
}

describe('refreshAccessToken', () => {
  it('posts the refresh grant and returns the access token', async () => {
    let form: Record<string, string> = {};
    mswServer.use(
      http.post(TOKEN_URL, async ({ request }) => {
        form = Object.fromEntries(new URLSearchParams(await request.text()));
        return HttpResponse.json({
          access_token: 'at-new',
          expires_in: 3599,
          token_type: 'Bearer',
        });
      }),
    );
    await expect(run()).resolves.toEqual({ accessToken: 'at-new', expiresInS: 3599 });
    expect(form).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-SENTINEL-1',
      client_id: 'cid',
      client_secret: 'cs-SENTINEL-2',
      scope: 'https://mail.example.test/.default',
    });
  });

  it("reports invalid_grant as TOKEN_REFRESH_FAILED, not retryable, with the provider's words redacted", async () => {
    mswServer.use(
      http.post(TOKEN_URL, () =>
        HttpResponse.json(
          { error: 'invalid_grant', error_description: 'Token rt-SENTINEL-1 has expired' },
          { status: 400 },
        ),
      ),
    );
    expect(await failure()).toMatchObject({
      code: 'TOKEN_REFRESH_FAILED',
      retryable: false,
      field: '/oauth2RefreshToken',
      details: {
        httpStatus: 400,
        oauthError: 'invalid_grant',
        oauthErrorDescription: 'Token [REDACTED] has expired',
      },
    });
  });

  it('reports invalid_client (401) as not retryable', async () => {
    mswServer.use(
      http.post(TOKEN_URL, () => HttpResponse.json({ error: 'invalid_client' }, { status: 401 })),
    );
    expect(await failure()).toMatchObject({
      code: 'TOKEN_REFRESH_FAILED',
      retryable: false,
      details: { httpStatus: 401, oauthError: 'invalid_client' },
    });
  });

  it('reports a 503 as retryable', async () => {
    mswServer.use(
      http.post(TOKEN_URL, () =>
        HttpResponse.json({ error: 'temporarily_unavailable' }, { status: 503 }),
      ),
    );
    expect(await failure()).toMatchObject({
      code: 'TOKEN_REFRESH_FAILED',
      retryable: true,
      details: { httpStatus: 503 },
    });
  });

  it('reports a body that is not JSON', async () => {
    mswServer.use(
      http.post(
        TOKEN_URL,
        () =>
          new HttpResponse('<html>proxy login</html>', {
            status: 200,
            headers: { 'content-type': 'text/html' },
          }),
      ),
    );
    expect(await failure()).toMatchObject({
      code: 'TOKEN_REFRESH_FAILED',
      message: expect.stringContaining('not JSON'),
    });
  });

  it('reports an answer without access_token', async () => {
    mswServer.use(http.post(TOKEN_URL, () => HttpResponse.json({ token_type: 'Bearer' })));
    expect(await failure()).toMatchObject({
      code: 'TOKEN_REFRESH_FAILED',
      message: expect.stringContaining('without an access_token'),
    });
  });

  it('reports an unreachable endpoint as retryable', async () => {
    mswServer.use(http.post(TOKEN_URL, () => HttpResponse.error()));
    expect(await failure()).toMatchObject({ code: 'TOKEN_REFRESH_FAILED', retryable: true });
  });

  it('gives up at the deadline', async () => {
    mswServer.use(http.post(TOKEN_URL, () => new Promise<never>(() => undefined)));
    await expect(run(200)).rejects.toMatchObject({ code: 'CONNECT_TIMEOUT' });
  });
});

/**
 * The report's webhook and the provisioning webhook prove who calls (issue 27): before, neither
 * could send an Authorization header or a signature, so a receiver on the Internet had to trust
 * any POST. The receiver (msw, the project's HTTP double) checks both as the docs tell one to: the
 * header's value, and the HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret.
 * A variable the profile names but the environment lacks is refused before any I/O.
 */
import { createHmac } from 'node:crypto';
import { http, HttpResponse } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchSecrets } from '../../src/batch/mailbox-list.js';
import { notify } from '../../src/batch/notify.js';
import { provisionMailbox } from '../../src/batch/provision.js';
import { isConnectorError } from '../../src/index.js';
import { mswServer } from '../helpers/msw-server.js';

const TOKEN = 'Bearer hook-token-7f3a';
const SECRET = 'shared-signing-secret-91b2';
const url = 'https://hooks.example.test/hook';
type Headers = Record<string, string | undefined>;
const calls: { headers: Headers; body: string }[] = [];

beforeAll(() => {
  process.env.TEST_HOOK_AUTHORIZATION = TOKEN;
  process.env.TEST_HOOK_SECRET = SECRET;
});
beforeEach(() => {
  calls.length = 0;
  // The receiver: keeps the raw body and the headers of each call.
  mswServer.use(
    http.post(url, async ({ request }) => {
      calls.push({ headers: Object.fromEntries(request.headers), body: await request.text() });
      return new HttpResponse(null, { status: 204 });
    }),
  );
});
afterAll(() => {
  delete process.env.TEST_HOOK_AUTHORIZATION;
  delete process.env.TEST_HOOK_SECRET;
});

/** What a receiver does: recompute the signature, and refuse an old timestamp. */
function verified(call: { headers: Headers; body: string }): boolean {
  const timestamp = String(call.headers['x-imap-connector-timestamp']);
  const expected = createHmac('sha256', SECRET).update(`${timestamp}.${call.body}`).digest('hex');
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
  return fresh && call.headers['x-imap-connector-signature'] === `sha256=${expected}`;
}

const auth = { authorizationEnv: 'TEST_HOOK_AUTHORIZATION', signingSecretEnv: 'TEST_HOOK_SECRET' };

describe('webhooks with an Authorization header and a signature', () => {
  it('the report webhook sends both, and the receiver can verify the body it got', async () => {
    const report = { name: 'nightly', status: 'done', notifications: [] } as never;
    await notify(
      { notify: { on: ['success'], webhook: { url, ...auth } } } as never,
      report,
      undefined,
    );
    expect(calls).toHaveLength(1);
    expect(calls[0]!.headers.authorization).toBe(TOKEN);
    expect(verified(calls[0]!)).toBe(true);
    // A body changed on the way does not verify.
    expect(verified({ ...calls[0]!, body: calls[0]!.body.replace('nightly', 'other') })).toBe(
      false,
    );
  });

  it('the provisioning webhook sends both; without settings, neither', async () => {
    const request = {
      action: 'create' as const,
      mailbox: 'new@x.org',
      password: 'Fresh-Pass-2026',
    };
    await provisionMailbox({ webhook: url, timeoutSeconds: 5, ...auth }, request);
    await provisionMailbox({ webhook: url, timeoutSeconds: 5 }, request);
    expect(calls).toHaveLength(2);
    expect(JSON.parse(calls[0]!.body)).toEqual(request);
    expect(calls[0]!.headers.authorization).toBe(TOKEN);
    expect(verified(calls[0]!)).toBe(true);
    expect(calls[1]!.headers.authorization).toBeUndefined();
    expect(calls[1]!.headers['x-imap-connector-signature']).toBeUndefined();
  });

  it('a variable the profile names but the environment lacks is refused before any call', () => {
    const profile = {
      mailboxes: { csv: 'x.csv' },
      destination: { provision: { webhook: url, authorizationEnv: 'NOT_SET_HOOK_TOKEN' } },
      notify: { on: ['failure'], webhook: { url, signingSecretEnv: 'NOT_SET_HOOK_SECRET' } },
    } as never;
    let error: unknown;
    try {
      batchSecrets(profile, {});
    } catch (caught) {
      error = caught;
    }
    expect(isConnectorError(error) && error.code).toBe('CONFIG_INVALID');
    const fields = (error as { details: { issues: { field: string; message: string }[] } }).details
      .issues;
    expect(fields.map((issue) => issue.field).sort()).toEqual([
      '/destination/provision/authorizationEnv',
      '/notify/webhook/signingSecretEnv',
    ]);
    expect(fields.map((issue) => issue.message).join('\n')).toMatch(
      /NOT_SET_HOOK_TOKEN \(or NOT_SET_HOOK_TOKEN_FILE\)/,
    );
    expect(calls).toHaveLength(0);
  });
});

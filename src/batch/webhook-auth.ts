/**
 * What a webhook (the report's, the provisioning hook's) sends to prove who calls (issue 27):
 * an Authorization header whose value the profile names an environment variable for, and an
 * HMAC-SHA256 signature of the timestamp and the body with a shared secret from another, so the
 * receiver can refuse forged and replayed calls. Secrets come from the environment (NAME or a
 * file named by NAME_FILE), never from the profile, and are checked before any I/O.
 *
 * The receiver checks: `X-Imap-Connector-Signature` is `sha256=` and the hex HMAC-SHA256, with
 * the shared secret, of `<X-Imap-Connector-Timestamp>.<the raw body>`; the timestamp (Unix
 * seconds) is within a few minutes of now.
 */
import { createHmac } from 'node:crypto';
import { readEnvSecret } from '../config/load-config.js';
import type { Issue } from '../errors.js';

/** A webhook's settings in a profile: the names of the variables holding its secrets. */
export interface WebhookAuthSettings {
  authorizationEnv?: string;
  signingSecretEnv?: string;
}

export const SIGNATURE_HEADER = 'x-imap-connector-signature';
export const TIMESTAMP_HEADER = 'x-imap-connector-timestamp';

/** The hex HMAC-SHA256 a receiver computes to check a call. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The variables a webhook's settings name that hold nothing (each an issue at `field`). */
export function missingWebhookSecrets(
  settings: WebhookAuthSettings | undefined,
  field: string,
  env: Record<string, string | undefined>,
): Issue[] {
  const issues: Issue[] = [];
  for (const key of ['authorizationEnv', 'signingSecretEnv'] as const) {
    const name = settings?.[key];
    if (name && readEnvSecret(env, name, `${field}/${key}`) === undefined)
      issues.push({
        field: `${field}/${key}`,
        message: `${name} (or ${name}_FILE) must hold the ${key === 'authorizationEnv' ? 'Authorization header value' : 'signing secret'} for ${field.slice(1)}`,
      });
  }
  return issues;
}

/** The headers that authenticate one call with `body`. */
export function webhookHeaders(
  settings: WebhookAuthSettings | undefined,
  body: string,
  env: Record<string, string | undefined> = process.env,
  now = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = {};
  const authorization =
    settings?.authorizationEnv && readEnvSecret(env, settings.authorizationEnv, 'webhook');
  if (authorization) headers.authorization = authorization;
  const secret =
    settings?.signingSecretEnv && readEnvSecret(env, settings.signingSecretEnv, 'webhook');
  if (secret) {
    const timestamp = String(Math.floor(now / 1000));
    headers[TIMESTAMP_HEADER] = timestamp;
    headers[SIGNATURE_HEADER] = `sha256=${webhookSignature(secret, timestamp, body)}`;
  }
  return headers;
}

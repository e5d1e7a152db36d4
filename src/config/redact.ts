import type { ConnectorError, ConnectorErrorJson } from '../errors.js';
import { MANIFEST, type ManifestField } from '../manifest.js';

/** Names of the config fields connector.json marks `secret: true`: the one place they are declared. */
export const SECRET_FIELDS: readonly string[] = (MANIFEST.connectionFields as ManifestField[])
  .filter((field) => field.secret)
  .map((field) => field.name);

export const REDACTED = '[REDACTED]';

// Values this short would redact ordinary words; no real credential is this short.
const MIN_SECRET_CHARS = 4;

/** The secret values of a config (raw or validated), for redacting text that may echo them. */
export function collectSecrets(config: unknown, extra: readonly string[] = []): string[] {
  const values: string[] = [...extra];
  if (typeof config === 'object' && config !== null) {
    for (const name of SECRET_FIELDS) {
      const value = (config as Record<string, unknown>)[name];
      if (typeof value === 'string') values.push(value);
    }
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...new Set(values.filter((v) => v.length >= MIN_SECRET_CHARS))].sort(
    (a, b) => b.length - a.length,
  );
}

/** Replaces every occurrence of each secret in a string, also its base64 and URL-encoded forms. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      encodeURIComponent(secret),
    ]) {
      if (form.length >= MIN_SECRET_CHARS) out = out.split(form).join(REDACTED);
    }
  }
  return out;
}

/** Deep copy with secret-named keys masked and secret values replaced in every string. */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets));
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, secrets) };
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        SECRET_FIELDS.includes(key) && item !== undefined ? REDACTED : redactDeep(item, secrets);
    }
    return out;
  }
  return value;
}

/** An error as a host receives it, with every secret value taken out of message and details. */
export function redactError(error: ConnectorError, secrets: readonly string[]): ConnectorErrorJson {
  return redactDeep(error.toJSON(), secrets) as ConnectorErrorJson;
}

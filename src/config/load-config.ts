import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { SECRET_FIELDS } from './redact.js';

export interface LoadConfigOptions {
  /** Path of a JSON file with the connection config. */
  file?: string;
  /** Values that override the file (a host's object, or command-line flags). */
  values?: Record<string, unknown>;
  /** Where secrets may come from; usually process.env. */
  env?: Record<string, string | undefined>;
  /** Prefix of the secret variables: IMAP_ (default), or IMAP_TARGET_ for an import's target. */
  envPrefix?: string;
}

/** password -> IMAP_PASSWORD, oauth2ClientSecret -> IMAP_OAUTH2_CLIENT_SECRET. */
export function secretEnvName(field: string, prefix = 'IMAP_'): string {
  return prefix + field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * A JSON file (a config, a host's catalog or state) parsed, with errors that name the file and
 * the line and column but never quote it: it may hold a secret.
 * @throws ConfigError (CONFIG_INVALID) at `field`.
 */
export function readJsonValue(path: string, what: string, field = '/'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([
      { field, message: `${what} ${JSON.stringify(path)} cannot be read (${code})` },
    ]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // JSON.parse messages quote a little of the input, which may hold a secret: say only where.
    const at = /position (\d+)/.exec(String((error as Error).message));
    const where = at ? ` near ${lineColumn(text, Number(at[1]))}` : '';
    throw new ConfigError([
      { field, message: `${what} ${JSON.stringify(path)} is not valid JSON${where}` },
    ]);
  }
}

function readJsonFile(path: string): Record<string, unknown> {
  const value = readJsonValue(path, 'config file');
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError([
      { field: '/', message: `config file ${JSON.stringify(path)} is not a JSON object` },
    ]);
  return value as Record<string, unknown>;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

/**
 * A secret from the variable `name` or, for container secrets, from the file named by
 * `<name>_FILE` (one trailing line end dropped); undefined when neither is set.
 * @throws ConfigError naming `field` when the file cannot be read.
 */
export function readEnvSecret(
  env: Record<string, string | undefined>,
  name: string,
  field: string,
): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '') return direct;
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([
      { field, message: `${name}_FILE ${JSON.stringify(file)} cannot be read (${code})` },
    ]);
  }
}

/** Secrets from IMAP_<FIELD> or, for container secrets, a file named by IMAP_<FIELD>_FILE. */
function secretsFromEnv(
  env: Record<string, string | undefined>,
  prefix: string | undefined,
): Record<string, string> {
  const found: Record<string, string> = {};
  for (const field of SECRET_FIELDS) {
    const value = readEnvSecret(env, secretEnvName(field, prefix), `/${field}`);
    if (value !== undefined) found[field] = value;
  }
  return found;
}

/**
 * Assembles a raw connection config: file, then explicit values, then secrets from the
 * environment (which win, so a secret never has to sit in a file or on a command line).
 * The result still has to pass validateConfig.
 * @throws ConfigError (CONFIG_INVALID) when the file or a secret file cannot be read.
 */
export function loadConfig(options: LoadConfigOptions): Record<string, unknown> {
  const fromFile = options.file ? readJsonFile(options.file) : {};
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries(options.values ?? {})) {
    if (value !== undefined) merged[key] = value;
  }
  return { ...merged, ...secretsFromEnv(options.env ?? {}, options.envPrefix) };
}

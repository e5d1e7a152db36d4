import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { usageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags that set connection fields. Secrets have no flag: they come from env or a file. */
export const CONNECTION_FLAGS = {
  config: { type: 'string', short: 'c' },
  server: { type: 'string', short: 's' },
  port: { type: 'string', short: 'p' },
  security: { type: 'string' },
  username: { type: 'string', short: 'u' },
  'auth-method': { type: 'string' },
  'authorization-identity': { type: 'string' },
  'password-file': { type: 'string' },
  'ca-file': { type: 'string' },
  'ignore-certificate-errors': { type: 'boolean' },
  timeout: { type: 'string' },
  'oauth2-client-id': { type: 'string' },
  'oauth2-token-url': { type: 'string' },
  'oauth2-scope': { type: 'string' },
} as const satisfies Options;

export const CONNECTION_FLAGS_HELP = `Connection:
  -c, --config FILE                JSON file with the connection config (see connector.json)
  -s, --server HOST|URL            host name, IP, or imap:// / imaps:// URL
  -p, --port N                     port (993 for tls, 143 otherwise)
      --security tls|starttls|none
  -u, --username NAME
      --auth-method password|masterUser|oauth2
      --authorization-identity USER  mailbox a master user opens (SASL PLAIN authzid)
      --password-file FILE         read the password from FILE
      --ca-file FILE               extra CA / self-signed certificate to trust (PEM)
      --ignore-certificate-errors  accept any certificate (unsafe)
      --timeout MS                 connect/login and per-command timeout
      --oauth2-client-id ID, --oauth2-token-url URL, --oauth2-scope SCOPE
Secrets never go on the command line: set IMAP_PASSWORD, IMAP_OAUTH2_ACCESS_TOKEN,
IMAP_OAUTH2_REFRESH_TOKEN or IMAP_OAUTH2_CLIENT_SECRET (or the same name + _FILE with a path).`;

/** The output flags every sub-command that prints a result shares. */
export const OUTPUT_FLAGS_HELP = `Output:
      --json       print the result as JSON on stdout
  -v, --verbose    log the IMAP conversation (secrets redacted) on stderr
  -h, --help       this text`;

const NUMERIC = new Set(['port', 'timeout']);

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function readSecretFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw usageError(
      '/password',
      `--password-file ${JSON.stringify(path)} cannot be read (${code})`,
    );
  }
}

/** Parsed flags -> config values (camelCase keys); numbers stay strings if not numeric so validation names them. */
export function flagsToValues(flags: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(flags)) {
    if (value === undefined || flag === 'config' || !(flag in CONNECTION_FLAGS)) continue;
    if (flag === 'password-file') values.password = readSecretFile(String(value));
    else if (NUMERIC.has(flag) && /^\d+$/.test(String(value))) values[camel(flag)] = Number(value);
    else values[camel(flag)] = value;
  }
  return values;
}

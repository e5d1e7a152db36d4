/**
 * Saved connections: `<dataDir>/connections/NAME.json` holds the settings (a config file the CLI
 * takes with --config), and each secret sits alone in an owner-only file beside it,
 * `NAME.password` and so on (what the CLI reads from IMAP_PASSWORD_FILE). A secret never goes
 * back to the browser: a profile says only which secrets it has.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { SECRET_FIELDS } from '../config/redact.js';
import { ConfigError } from '../errors.js';
import { storedName } from './console-errors.js';

export interface ConnectionProfile {
  name: string;
  /** The settings without secrets. */
  config: Record<string, unknown>;
  /** Names of the secret fields stored for it. */
  storedSecrets: string[];
}

export class ConnectionProfiles {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'connections');
  }

  private path(name: string, suffix: string): string {
    storedName(name, 'a connection');
    return join(this.dir, `${name}${suffix}`);
  }

  list(): ConnectionProfile[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => this.get(file.slice(0, -'.json'.length)))
      .filter((profile): profile is ConnectionProfile => profile !== undefined);
  }

  get(name: string): ConnectionProfile | undefined {
    const path = this.path(name, '.json');
    if (!existsSync(path)) return undefined;
    const config = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const storedSecrets = SECRET_FIELDS.filter((field) => existsSync(this.path(name, `.${field}`)));
    return { name, config, storedSecrets };
  }

  /** The settings with the stored secrets, for an operation (never for a response). */
  withSecrets(name: string): Record<string, unknown> | undefined {
    const profile = this.get(name);
    if (!profile) return undefined;
    const secrets = Object.fromEntries(
      profile.storedSecrets.map((field) => [
        field,
        readFileSync(this.path(name, `.${field}`), 'utf8'),
      ]),
    );
    return { ...profile.config, ...secrets };
  }

  /** Saves settings; a secret given replaces the stored one, a secret left empty keeps it. */
  save(name: string, config: Record<string, unknown>): ConnectionProfile {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const settings: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(config)) {
      if (value === undefined || value === null || value === '') continue;
      if (SECRET_FIELDS.includes(field)) {
        const path = this.path(name, `.${field}`);
        writeFileSync(path, String(value), { mode: 0o600 });
        chmodSync(path, 0o600);
      } else settings[field] = value;
    }
    const path = this.path(name, '.json');
    writeFileSync(path, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
    return this.get(name)!;
  }

  remove(name: string): void {
    for (const suffix of ['.json', ...SECRET_FIELDS.map((field) => `.${field}`)])
      rmSync(this.path(name, suffix), { force: true });
  }
}

// Where a stored secret may go: the server, port and login it was saved with (and the token
// endpoint a refresh token or client secret is sent to).
const BOUND_FIELDS = ['server', 'port', 'username', 'authorizationIdentity', 'oauth2TokenUrl'];

function normalized(field: string, value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value).trim();
  return field === 'server' ? text.toLowerCase() : text;
}

/**
 * A config from the browser with the stored secrets filled in where the form left them empty,
 * only while the form names the same server, port and user as the saved connection (issue 28:
 * Test Connection with a saved profile and another server sent the stored password there).
 * @throws CONFIG_INVALID naming the secret to type again, when any of them was changed.
 */
export function mergeStoredSecrets(
  config: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config))
    if (value !== undefined && value !== null && value !== '') merged[field] = value;
  const wanted = SECRET_FIELDS.filter(
    (field) => merged[field] === undefined && stored?.[field] !== undefined,
  );
  if (wanted.length === 0) return merged;
  const changed = BOUND_FIELDS.filter(
    (field) => normalized(field, merged[field]) !== normalized(field, stored?.[field]),
  );
  if (changed.length > 0)
    throw new ConfigError(
      wanted.map((field) => ({
        field: `/${field}`,
        message: `the stored ${field} is used only with the ${changed.join(', ')} it was saved with: type it again to use it with another`,
      })),
    );
  for (const field of wanted) merged[field] = stored![field];
  return merged;
}

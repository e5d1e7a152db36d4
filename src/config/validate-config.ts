import { X509Certificate } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { ConfigError, type Issue } from '../errors.js';
import { depthIssue, formatIssues, tooDeepAt, validateConnectionSchema } from '../validators.js';
import { parseConfigDate } from './parse-date.js';
import { parseDelayMs } from './parse-delay.js';
import { defaultPort, parseServer, type Security } from './parse-server.js';

export type AuthMethod = 'password' | 'masterUser' | 'oauth2';
/** How a target recognises a message it already holds (see write/message-identity.ts). */
export type DedupeMode = 'message-id' | 'hash' | 'none';
export type { Security };

/**
 * A validated connection config: the fields of schemas/connection.schema.json with defaults
 * applied, plus what is derived from them (host, delay in ms, normalized dates).
 */
export interface Config {
  server: string;
  /** Host part of `server`, without scheme, port or IPv6 brackets. */
  host: string;
  port: number;
  security: Security;
  ignoreCertificateErrors: boolean;
  caFile?: string;
  /** PEM text of CA certificates to trust besides the system CAs. */
  ca?: string;
  authMethod: AuthMethod;
  username: string;
  password?: string;
  authorizationIdentity?: string;
  oauth2AccessToken?: string;
  oauth2RefreshToken?: string;
  oauth2ClientId?: string;
  oauth2ClientSecret?: string;
  oauth2TokenUrl?: string;
  oauth2Scope?: string;
  timeout: number;
  /** New sessions a read or import opens after a connection fault before giving up. */
  reconnectAttempts: number;
  /** Milliseconds before the first of them; doubled after. */
  reconnectDelay: number;
  query?: string;
  isActive: boolean;
  isSource: boolean;
  isTarget: boolean;
  /** How write() and imports recognise a message already at the target. */
  dedupe: DedupeMode;
  dateTimeFormat: string;
  /** Reads from a cursor also return update and delete rows (the change feed). */
  changes: boolean;
  foldersInclude: string[];
  foldersExclude: string[];
  /** YYYY-MM-DD */
  startDate?: string;
  /** YYYY-MM-DD */
  endDate?: string;
  delayBetweenMessages: number | string;
  delayBetweenMessagesMs: number;
  maxQueueDepth: number;
  pageSize: number;
  /** Largest message downloaded, in bytes. */
  maxMessageSize: number;
}

type Raw = Record<string, unknown>;

/** Fills port and security from the server URL (or host:port), flagging contradictions. */
function applyServerAddress(raw: Raw, issues: Issue[]): string | undefined {
  if (typeof raw.server !== 'string') return undefined;
  const address = parseServer(raw.server, issues);
  if (!address) return undefined;
  if (address.security !== undefined) {
    if (raw.security === undefined) raw.security = address.security;
    else if (raw.security !== address.security) {
      issues.push({
        field: '/security',
        message: `security ${JSON.stringify(raw.security)} contradicts the server URL, which means ${address.security}`,
      });
    }
  }
  if (address.port !== undefined) {
    if (raw.port === undefined) raw.port = address.port;
    else if (raw.port !== address.port) {
      issues.push({
        field: '/port',
        message: `port ${JSON.stringify(raw.port)} contradicts the port in the server field (${address.port})`,
      });
    }
  }
  return address.host;
}

const MAX_DELAY_SECONDS = 3600;
// A CA bundle is a few hundred kilobytes; a device or a huge file would be read forever.
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;

/** True when `pem` holds at least one certificate Node can parse (the first is checked). */
function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** Why caFile cannot be a PEM file to read, or undefined when it can. */
function caFileProblem(path: string): string | undefined {
  if (!existsSync(path)) return 'does not exist';
  const stats = statSync(path);
  if (!stats.isFile()) return 'is not a regular file (a directory or device?)';
  if (stats.size > MAX_CA_FILE_BYTES)
    return `is larger than ${MAX_CA_FILE_BYTES / 1024 / 1024} MB, too large for a CA certificate file`;
  return undefined;
}

/** Checks that need more than one field, or more than a pattern. */
function checkSemantics(config: Raw, issues: Issue[]): void {
  for (const key of ['startDate', 'endDate'] as const) {
    const value = config[key];
    if (typeof value !== 'string') continue;
    const day = parseConfigDate(value);
    if (day === undefined)
      issues.push({
        field: `/${key}`,
        message: `${key} is not a real calendar date, got ${JSON.stringify(value)}`,
      });
    else config[key] = day;
  }
  if (
    typeof config.startDate === 'string' &&
    typeof config.endDate === 'string' &&
    config.startDate > config.endDate
  ) {
    issues.push({
      field: '/endDate',
      message: `endDate ${config.endDate} is before startDate ${config.startDate}`,
    });
  }
  const delay = config.delayBetweenMessages;
  if (typeof delay === 'string' || typeof delay === 'number') {
    const ms = parseDelayMs(delay);
    if (ms === undefined)
      issues.push({
        field: '/delayBetweenMessages',
        message: `delayBetweenMessages must be seconds as a number (0.5) or a fraction (1/2), got ${JSON.stringify(delay)}`,
      });
    // The schema's maximum only binds numbers; "99999999" as text must not slip through.
    else if (ms > MAX_DELAY_SECONDS * 1000)
      issues.push({
        field: '/delayBetweenMessages',
        message: `delayBetweenMessages must be at most ${MAX_DELAY_SECONDS} seconds, got ${JSON.stringify(delay)}`,
      });
    else config.delayBetweenMessagesMs = ms;
  }
  if (config.isSource === false && config.isTarget === false) {
    issues.push({
      field: '/isSource',
      message: 'at least one of isSource and isTarget must be true',
    });
  }
  if (typeof config.caFile === 'string' && config.caFile !== '') {
    const problem = caFileProblem(config.caFile);
    if (problem)
      issues.push({
        field: '/caFile',
        message: `caFile ${JSON.stringify(config.caFile)} ${problem}`,
      });
  }
  if (typeof config.ca === 'string' && !isCertificate(config.ca)) {
    issues.push({
      field: '/ca',
      message: 'ca does not hold a readable PEM certificate (-----BEGIN CERTIFICATE----- ...)',
    });
  }
  if (config.authMethod !== 'masterUser' && config.authorizationIdentity !== undefined) {
    issues.push({
      field: '/authorizationIdentity',
      message: 'authorizationIdentity is only used with authMethod masterUser',
    });
  }
}

/**
 * Refuses to use a connection for a role it does not have: an inactive one (switched off by
 * its owner) or one not marked as a source, for reading; likewise isTarget for writing.
 * Test Connection works on any connection.
 * @throws CONFIG_INVALID naming /isActive, /isSource or /isTarget (under `prefix`).
 */
export function assertRole(config: Config, role: 'source' | 'target', prefix = ''): void {
  if (!config.isActive)
    throw new ConfigError([
      {
        field: `${prefix}/isActive`,
        message: 'this connection is switched off (isActive false); switch it on to use it',
      },
    ]);
  if (role === 'source' && !config.isSource)
    throw new ConfigError([
      {
        field: `${prefix}/isSource`,
        message: 'this connection is not a source (isSource false), so mail is not read from it',
      },
    ]);
  if (role === 'target' && !config.isTarget)
    throw new ConfigError([
      { field: `${prefix}/isTarget`, message: 'isTarget must be true to write to this connection' },
    ]);
}

/**
 * Validates a connection config from any source and returns it typed, with defaults.
 * Runs before any network I/O and reports every problem at once.
 * @throws ConfigError (CONFIG_INVALID) listing each issue with its field.
 */
export function validateConfig(input: unknown): Config {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError([{ field: '/', message: 'the connection config must be a JSON object' }]);
  }
  const deep = tooDeepAt(input);
  if (deep !== undefined) throw new ConfigError([depthIssue(deep)]);
  const raw: Raw = structuredClone(input as Raw);
  const issues: Issue[] = [];
  const host = applyServerAddress(raw, issues);
  if (raw.port === undefined && (raw.security === undefined || typeof raw.security === 'string')) {
    raw.port = defaultPort((raw.security as Security | undefined) ?? 'tls');
  }
  if (!validateConnectionSchema(raw)) issues.push(...formatIssues(validateConnectionSchema.errors));
  // Semantic checks only look at fields the schema accepted, so one mistake is one issue.
  const flagged = new Set(issues.map((issue) => issue.field));
  const semantic: Issue[] = [];
  checkSemantics(raw, semantic);
  issues.push(...semantic.filter((issue) => !flagged.has(issue.field)));
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    ...raw,
    host: host ?? String(raw.server),
    foldersInclude: (raw.foldersInclude as string[] | undefined) ?? [],
    foldersExclude: (raw.foldersExclude as string[] | undefined) ?? [],
  } as unknown as Config;
}

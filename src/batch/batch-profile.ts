/**
 * A batch profile (schemas/batch.schema.json) from a JSON or YAML file: parsed, validated with
 * every problem at once, relative paths resolved against the profile's folder. Nothing here
 * touches the network.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as Yaml from 'yaml';
import { ConfigError, type Issue } from '../errors.js';
import type { ListEncoding } from './decode-list.js';
import type { WebhookAuthSettings } from './webhook-auth.js';
import { formatIssues, validateBatchSchema } from '../validators.js';
import { pop3Issues } from './pop3-profile.js';
import { loadOnFirstUse } from '../load-on-first-use.js';

export interface ServerSettings {
  server: string;
  /** Sources only: pop3 reads a POP3 mailbox (issue 27). */
  protocol?: 'imap' | 'pop3';
  port?: number;
  security?: 'tls' | 'starttls' | 'none';
  ignoreCertificateErrors?: boolean;
  caFile?: string;
  ca?: string;
  timeout?: number;
  reconnectAttempts?: number;
  reconnectDelay?: number;
}

export interface LdapSettings {
  url: string;
  startTls: boolean;
  ignoreCertificateErrors: boolean;
  caFile?: string;
  bindDn?: string;
  base: string;
  filter: string;
  attribute: string;
  timeoutSeconds: number;
}

export interface BatchProfile {
  name: string;
  source: ServerSettings;
  /** The token endpoint for rows with an OAuth2 refresh token (a client secret from the environment). */
  oauth2?: { tokenUrl: string; clientId: string; scope?: string };
  destination: {
    archive?: string;
    imap?: ServerSettings;
    login: 'same' | 'master';
    masterUser?: string;
    /** The destination mailbox is the local part of the row's at this domain. */
    domain?: string;
    folderPrefix?: string;
    provision?: {
      command?: string[];
      webhook?: string;
      timeoutSeconds: number;
    } & WebhookAuthSettings;
    existing: 'import' | 'skip' | 'replace';
  };
  copy: {
    foldersInclude?: string[];
    foldersExclude?: string[];
    startDate?: string;
    endDate?: string;
    query?: string;
    dedupe?: 'message-id' | 'hash' | 'none';
    folderMapping?: Record<string, string>;
    sentFolder?: string;
    postReadAction?: Record<string, unknown>;
    /** A POP3 source's destination folder (default INBOX). */
    pop3Folder?: string;
    /** Carry flag changes of copied messages on later runs (default true). */
    syncFlags?: boolean;
    /** Remove copies of messages deleted at the source since (default false). */
    mirrorDeletions?: boolean;
  };
  throttle: {
    parallelMailboxes: number;
    maxConnectionsPerServer: number;
    delayBetweenMessages?: number | string;
    maxQueueDepth?: number;
    attempts: number;
    retryDelaySeconds: number;
    batchTimeoutSeconds?: number;
  };
  preflight: {
    onFailure: 'stop' | 'continue';
    passwordPolicy?: {
      minLength: number;
      lowerCase: boolean;
      upperCase: boolean;
      digitOrSpecial: boolean;
    };
  };
  mailboxes: {
    csv?: string;
    /** The CSV file's character encoding; UTF-8 unless told. */
    encoding?: ListEncoding;
    masterUser?: {
      username: string;
      users?: string[];
      usersFile?: string;
      ldap?: LdapSettings;
      select: 'all' | 'except' | 'only';
      list?: string[];
    };
  };
  notify?: {
    on: ('success' | 'failure')[];
    email?: {
      host: string;
      port?: number;
      security: 'starttls' | 'tls' | 'none';
      username?: string;
      ignoreCertificateErrors: boolean;
      caFile?: string;
      from: string;
      to: string[];
    };
    webhook?: { url: string } & WebhookAuthSettings;
  };
  /** The folder relative paths were resolved against. */
  baseDir: string;
}

// The runtime entry exports validateBatchProfile: yaml cost every start some 50 ms.
const loadYaml = loadOnFirstUse<typeof Yaml>('yaml');

function parseText(text: string, path: string): unknown {
  const yaml = /\.ya?ml$/i.test(path);
  try {
    return yaml ? loadYaml().parse(text, { maxAliasCount: 100 }) : JSON.parse(text);
  } catch (error) {
    const e = error as { linePos?: { line: number; col: number }[]; message: string };
    const where = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError([
      {
        field: '/',
        message: `the batch profile ${JSON.stringify(path)} is not valid ${yaml ? 'YAML' : 'JSON'}${where}: ${e.message.split('\n')[0]}`,
      },
    ]);
  }
}

/** A path of the profile, relative to the profile's folder unless absolute. */
const inside = (baseDir: string, path: string): string =>
  isAbsolute(path) ? path : resolve(baseDir, path);

/**
 * Validates a profile object (from a file, or built by a host) and fills defaults.
 * @throws CONFIG_INVALID naming every bad field (JSON Pointer).
 */
export function validateBatchProfile(value: unknown, baseDir: string): BatchProfile {
  const copy = structuredClone(value);
  if (!validateBatchSchema(copy)) throw new ConfigError(formatIssues(validateBatchSchema.errors));
  const profile = copy as Omit<BatchProfile, 'baseDir'> & Partial<BatchProfile>;
  const issues: Issue[] = [];
  const { destination, mailboxes } = profile;
  if (destination.login === 'master' && !destination.masterUser)
    issues.push({
      field: '/destination/masterUser',
      message: 'masterUser is required when login is master',
    });
  const master = mailboxes.masterUser;
  if (master && master.select !== 'all' && !master.list?.length)
    issues.push({
      field: '/mailboxes/masterUser/list',
      message: `list is required when select is ${master.select}`,
    });
  issues.push(...pop3Issues(profile));
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    ...profile,
    copy: profile.copy ?? {},
    throttle: profile.throttle ?? {
      parallelMailboxes: 2,
      maxConnectionsPerServer: 4,
      attempts: 3,
      retryDelaySeconds: 30,
    },
    preflight: profile.preflight ?? { onFailure: 'stop' },
    destination: {
      ...destination,
      ...(destination.archive ? { archive: inside(baseDir, destination.archive) } : {}),
    },
    mailboxes: {
      ...(mailboxes.csv ? { csv: inside(baseDir, mailboxes.csv) } : {}),
      ...(master
        ? {
            masterUser: {
              ...master,
              ...(master.usersFile ? { usersFile: inside(baseDir, master.usersFile) } : {}),
              ...(master.ldap?.caFile
                ? { ldap: { ...master.ldap, caFile: inside(baseDir, master.ldap.caFile) } }
                : {}),
            },
          }
        : {}),
    },
    baseDir,
  } as BatchProfile;
}

/**
 * Reads and validates the profile at `path` (.json, .yaml or .yml).
 * @throws USAGE_INVALID when the file cannot be read; CONFIG_INVALID for its content.
 */
export function loadBatchProfile(path: string): BatchProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new ConfigError(
      [
        {
          field: '/',
          message: `the batch profile ${JSON.stringify(path)} cannot be read (${code})`,
        },
      ],
      'USAGE_INVALID',
    );
  }
  return validateBatchProfile(parseText(text, path), dirname(resolve(path)));
}

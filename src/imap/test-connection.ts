import { performance } from 'node:perf_hooks';
import { collectSecrets, redactDeep, redactError } from '../config/redact.js';
import { validateConfig, type AuthMethod, type Config } from '../config/validate-config.js';
import {
  isConnectorError,
  makeError,
  type ConnectorError,
  type ConnectorErrorJson,
  type ErrorCode,
} from '../errors.js';
import type { OperationOptions } from '../operation-options.js';
import { classifyError } from './classify-error.js';
import { Deadline } from './deadline.js';
import { listFolders, type FolderInfo } from './list-folders.js';
import { openSession, type Session } from './open-session.js';

/** What the Test Connection button shows. Plain JSON. */
export interface TestConnectionResult {
  ok: boolean;
  /** "OK", or the error code a host can branch on. */
  code: 'OK' | ErrorCode;
  /** One sentence a person can act on. */
  message: string;
  hint?: string;
  /** Wall time of connect + login + LIST, in ms. */
  latencyMs: number;
  server?: {
    host: string;
    port: number;
    security: Config['security'];
    greeting: string | null;
    /** The server's RFC 2971 ID answer, if it gave one. */
    id: Record<string, string> | null;
    capabilities: string[];
  };
  authMethod?: AuthMethod;
  authenticatedAs?: string;
  folders?: { count: number; items: FolderInfo[] };
  /** Things that work but should not: cleartext passwords, unchecked certificates. */
  warnings: string[];
  error?: ConnectorErrorJson;
}

function warningsFor(config: Config): string[] {
  const warnings: string[] = [];
  if (config.security === 'none')
    warnings.push('security is "none": the password travels unencrypted.');
  if (config.ignoreCertificateErrors && config.security !== 'none') {
    warnings.push(
      'ignoreCertificateErrors is on: the server certificate is not checked, so the connection can be intercepted.',
    );
  }
  return warnings;
}

function failure(
  error: ConnectorError,
  started: number,
  secrets: readonly string[],
  warnings: string[],
): TestConnectionResult {
  const json = redactError(error, secrets);
  return {
    ok: false,
    code: error.code,
    message: json.message,
    hint: json.hint,
    latencyMs: Math.round(performance.now() - started),
    warnings,
    error: json,
  };
}

async function describeSession(
  session: Session,
  config: Config,
  started: number,
): Promise<TestConnectionResult> {
  const deadline = new Deadline(config.timeout, 'OPERATION_TIMEOUT');
  const folders = await deadline.race(listFolders(session));
  const fault = session.fault();
  if (fault) throw fault;
  const { client } = session;
  const serverId = client.serverInfo
    ? (redactDeep(client.serverInfo, session.secrets) as Record<string, string>)
    : null;
  return {
    ok: true,
    code: 'OK',
    message: `Connected to ${config.host}:${config.port} as ${session.authenticatedAs}; ${folders.length} folders.`,
    latencyMs: Math.round(performance.now() - started),
    server: {
      host: config.host,
      port: config.port,
      security: config.security,
      greeting: client.greeting ?? null,
      id: serverId,
      capabilities: [...client.capabilities.keys()].sort(),
    },
    authMethod: config.authMethod,
    authenticatedAs: session.authenticatedAs,
    folders: { count: folders.length, items: folders },
    warnings: warningsFor(config),
  };
}

/**
 * The Test Connection button: validate, connect, authenticate, list folders. Never throws
 * for an expected failure; returns ok: false with the error's code, message and hint.
 */
export async function testConnection(
  input: unknown,
  options: OperationOptions = {},
): Promise<TestConnectionResult> {
  const started = performance.now();
  let config: Config;
  try {
    config = validateConfig(input);
  } catch (error) {
    const known = isConnectorError(error)
      ? error
      : makeError('INTERNAL', 'Config validation failed unexpectedly.', { cause: error });
    return failure(known, started, collectSecrets(input), []);
  }
  let session: Session | undefined;
  try {
    session = await openSession(config, options);
    return await describeSession(session, config, started);
  } catch (error) {
    const ctx = session?.errorContext ?? {
      host: config.host,
      port: config.port,
      security: config.security,
      timeoutMs: config.timeout,
      secrets: collectSecrets(config),
    };
    return failure(
      classifyError(error, ctx),
      started,
      session?.secrets ?? collectSecrets(config),
      warningsFor(config),
    );
  } finally {
    await session?.close();
  }
}

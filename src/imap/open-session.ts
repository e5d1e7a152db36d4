import { collectSecrets } from '../config/redact.js';
import { literalLimit, toImapFlowOptions } from '../config/to-imapflow-options.js';
import type { Config } from '../config/validate-config.js';
import { isConnectorError, makeError, type ConnectorError } from '../errors.js';
import { SILENT_LOGGER, type Logger, type OperationOptions } from '../operation-options.js';
import { abortedError } from '../sleep.js';
import { CONNECTOR_VERSION } from '../manifest.js';
import { classifyError, type ErrorContext } from './classify-error.js';
import { Deadline } from './deadline.js';
import { ImapFlow } from './imapflow-bundle.js';
import { toImapFlowLogger } from './logger-adapter.js';
import { refreshAccessToken } from './refresh-access-token.js';

// LOGOUT is a courtesy; never let a dead server hold the caller up for long.
const LOGOUT_TIMEOUT_MS = 2 * 1000;

/** An authenticated IMAP session. Always close() it, also after an error. */
export interface Session {
  readonly client: ImapFlow;
  /** The identity the server logged in (the authorization identity for master users). */
  readonly authenticatedAs: string;
  /** authenticatedAs@host: the account rows and archives name. */
  readonly account: string;
  /** Secrets of this session (config values and refreshed tokens), for redaction. */
  readonly secrets: readonly string[];
  readonly errorContext: ErrorContext;
  /** The operation's logger (already redacting), for modules that talk to the server themselves. */
  readonly logger: Logger;
  /** The caller's signal: every command of the session ends with ABORTED when it fires. */
  readonly signal: AbortSignal | undefined;
  /**
   * How long any one command may take, from when it is sent to its tagged answer: the
   * connection's `timeout`, as an absolute deadline (command-deadline.ts).
   */
  readonly commandTimeoutMs: number;
  /** Largest literal this session accepts from the server (the connection's maxMessageSize + framing). */
  readonly maxMessageBytes: number;
  /** The first fault imapflow reported as an event after connecting, if any. */
  readonly fault: () => ConnectorError | undefined;
  /**
   * Anything a command of this session threw, as a ConnectorError: a dropped or silent
   * connection rejects pending commands generically, and the session's first fault names the cause.
   */
  asError(error: unknown): ConnectorError;
  close(): Promise<void>;
}

async function resolveAccessToken(
  config: Config,
  deadline: Deadline,
  secrets: string[],
): Promise<string | undefined> {
  if (config.authMethod !== 'oauth2' || config.oauth2AccessToken) return config.oauth2AccessToken;
  const token = await refreshAccessToken(config, deadline, secrets);
  secrets.push(token.accessToken);
  return token.accessToken;
}

// imapflow forces AUTH=PLAIN for master users; a server without it cannot do RFC 4616 authzid.
function refineAuthFailure(
  error: ConnectorError,
  config: Config,
  client: ImapFlow,
): ConnectorError {
  if (
    config.authMethod === 'masterUser' &&
    error.code === 'AUTH_FAILED' &&
    client.capabilities.size > 0 &&
    !client.capabilities.has('AUTH=PLAIN')
  ) {
    return makeError(
      'AUTH_METHOD_UNSUPPORTED',
      'The server does not offer AUTH=PLAIN, which master-user logins need (RFC 4616 authorization identity).',
      { field: '/authMethod', cause: error },
    );
  }
  return error;
}

async function closeQuietly(client: ImapFlow): Promise<void> {
  if (!client.usable) {
    client.close();
    return;
  }
  const timer = setTimeout(() => client.close(), LOGOUT_TIMEOUT_MS);
  try {
    await client.logout();
  } catch {
    client.close();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects, upgrades to TLS as configured and authenticates, all within `config.timeout`.
 * An 'error' listener is attached before connecting: imapflow emits socket faults as events
 * and Node would otherwise kill the process (imapflow#47, #225, #302).
 * @throws ConnectorError: CONNECT_REFUSED, DNS_NOT_FOUND, TLS_FAILED, CONNECT_TIMEOUT,
 *   AUTH_FAILED, AUTHZ_FAILED, AUTH_METHOD_UNSUPPORTED, TOKEN_REFRESH_FAILED, PROTOCOL_ERROR, ABORTED.
 */
export async function openSession(
  config: Config,
  options: OperationOptions = {},
): Promise<Session> {
  // Cancelled before it began: no socket is opened at all.
  if (options.signal?.aborted) throw abortedError();
  const logger = options.logger ?? SILENT_LOGGER;
  const secrets = collectSecrets(config);
  const errorContext: ErrorContext = {
    host: config.host,
    port: config.port,
    security: config.security,
    timeoutMs: config.timeout,
    secrets,
  };
  const deadline = new Deadline(config.timeout, 'CONNECT_TIMEOUT', options.signal);
  const accessToken = await resolveAccessToken(config, deadline, secrets);
  const credentials = accessToken === undefined ? {} : { accessToken };
  const client = new ImapFlow(
    toImapFlowOptions(config, credentials, toImapFlowLogger(logger, secrets), CONNECTOR_VERSION),
  );
  let fault: ConnectorError | undefined;
  client.on('error', (error: unknown) => {
    fault ??= classifyError(error, errorContext);
    logger.warn({ msg: 'IMAP session fault', code: fault.code });
  });
  if (config.ignoreCertificateErrors && config.security !== 'none') {
    logger.warn({ msg: 'TLS certificate verification is off (ignoreCertificateErrors)' });
  }
  try {
    await deadline.race(client.connect(), () => client.close());
  } catch (error) {
    client.close(); // imapflow leaves the socket open after a failed login
    throw refineAuthFailure(classifyError(error, errorContext), config, client);
  }
  const authenticatedAs =
    typeof client.authenticated === 'string'
      ? client.authenticated
      : (config.authorizationIdentity ?? config.username);
  return {
    client,
    authenticatedAs,
    account: `${authenticatedAs}@${config.host}`,
    signal: options.signal,
    secrets,
    errorContext,
    logger,
    commandTimeoutMs: config.timeout,
    maxMessageBytes: literalLimit(config),
    fault: () => fault,
    asError: (error) =>
      isConnectorError(error) ? error : (fault ?? classifyError(error, errorContext)),
    close: () => closeQuietly(client),
  };
}

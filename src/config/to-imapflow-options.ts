import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { ImapFlowOptions } from 'imapflow';
import type { Config } from './validate-config.js';

/** Longest line without a literal accepted from a server: SEARCH of about a million UIDs. */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * The largest literal accepted from a server: a FETCH literal is the message itself, plus a
 * little room for servers that count line ends differently from their RFC822.SIZE.
 */
export function literalLimit(config: Pick<Config, 'maxMessageSize'>): number {
  return config.maxMessageSize + 64 * 1024;
}

/** Credentials resolved for this session; the access token may come from a refresh. */
export interface SessionCredentials {
  accessToken?: string;
}

export const CLIENT_NAME = 'imap-connector';

/** ImapFlow's logger interface, fed by our redacting adapter. */
export type ImapFlowLogger = Exclude<ImapFlowOptions['logger'], false | undefined>;

export function tlsOptions(config: Config): NonNullable<ImapFlowOptions['tls']> {
  const tls: NonNullable<ImapFlowOptions['tls']> = {
    // Verified unless the user opted out in so many words.
    rejectUnauthorized: !config.ignoreCertificateErrors,
    minVersion: 'TLSv1.2',
  };
  const extra = [
    ...(config.caFile ? [readFileSync(config.caFile, 'utf8')] : []),
    ...(config.ca ? [config.ca] : []),
  ];
  // Node's `ca` replaces the system list; keep it, so caFile and ca add trust, never narrow it.
  if (extra.length > 0) tls.ca = [...rootCertificates, ...extra];
  if (isIP(config.host) === 0) tls.servername = config.host;
  return tls;
}

function authOptions(
  config: Config,
  credentials: SessionCredentials,
): NonNullable<ImapFlowOptions['auth']> {
  switch (config.authMethod) {
    case 'masterUser':
      // RFC 4616: authzid is only carried by SASL PLAIN. Forcing it keeps imapflow from falling
      // back to LOGIN, which would silently open the master user's own mailbox instead.
      return {
        user: config.username,
        pass: config.password ?? '',
        authzid: config.authorizationIdentity ?? '',
        loginMethod: 'AUTH=PLAIN',
      };
    case 'oauth2':
      return {
        user: config.username,
        accessToken: credentials.accessToken ?? config.oauth2AccessToken ?? '',
      };
    default:
      return { user: config.username, pass: config.password ?? '' };
  }
}

/**
 * Config -> ImapFlowOptions: the only place that knows imapflow's option names.
 * `timeoutMs` bounds connecting, the greeting and every later command's silence.
 */
export function toImapFlowOptions(
  config: Config,
  credentials: SessionCredentials,
  logger: ImapFlowLogger,
  version: string,
): ImapFlowOptions {
  return {
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    // true: STARTTLS is required, a server without it is refused; false: never upgrade.
    doSTARTTLS:
      config.security === 'starttls' ? true : config.security === 'none' ? false : undefined,
    tls: tlsOptions(config),
    auth: authOptions(config, credentials),
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout,
    // What a broken or hostile server may make imapflow buffer (issue 9: a greeting without a
    // line end grew to 1 GB): no line longer than MAX_LINE_BYTES, no literal larger than a
    // message may be, no response much larger than its literals.
    maxLineLength: MAX_LINE_BYTES,
    maxLiteralSize: literalLimit(config),
    maxResponseSize: 2 * literalLimit(config) + MAX_LINE_BYTES,
    // A connector issues commands and leaves; IDLE between them only adds round trips.
    disableAutoIdle: true,
    clientInfo: { name: CLIENT_NAME, version },
    logger,
    logRaw: false,
    emitLogs: false,
  };
}

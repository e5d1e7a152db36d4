import { defaultPort, parseServer, type Security } from '../config/parse-server.js';
import type { ImportSpec } from '../import/prepare-import.js';
import type { BatchProfile, ServerSettings } from './batch-profile.js';
import type { BatchSecrets } from './mailbox-list.js';
import type { MailboxEntry } from './mailbox-entry.js';

/** What one mailbox of a batch is: its source connection, its import, and the servers it uses. */
export interface MailboxJob {
  entry: MailboxEntry;
  /** A name for status and reports: the owner column, else the source user. Never a secret. */
  label: string;
  source: Record<string, unknown>;
  /** The destination login, for the preflight (IMAP destinations only). */
  destination?: Record<string, unknown>;
  /**
   * The destination master user opening this mailbox, when a provisioning hook may create it:
   * its login tells a mailbox that exists (the list's password is wrong) from a missing one.
   */
  destinationAsMaster?: Record<string, unknown>;
  spec: ImportSpec;
  /** The servers it uses (source, then destination) as `address:port`, for the per-server cap. */
  servers: string[];
}

/**
 * The server a connection reaches, as `host:port` (lower case, the port as the connection would
 * use it): two servers on one host are two servers. prepareBatch then resolves the host.
 */
export function serverOf(config: Record<string, unknown>): string {
  const address = parseServer(String(config.server), []);
  const host = (address?.host ?? String(config.server)).toLowerCase();
  const security = (config.security ?? address?.security ?? 'tls') as Security;
  const port =
    typeof config.port === 'number' ? config.port : (address?.port ?? defaultPort(security));
  return `${host}:${port}`;
}

/** The connection fields of a profile's server settings (its protocol is the import's). */
function serverFields(settings: ServerSettings): Record<string, unknown> {
  const { protocol: _protocol, ...fields } = settings;
  return fields;
}

/** The source connection of an entry: its row's server, or the profile's, and its login. */
function sourceConfig(
  profile: BatchProfile,
  entry: MailboxEntry,
  secrets: BatchSecrets,
): Record<string, unknown> {
  const server = entry.sourceServer
    ? { ...serverFields(profile.source), server: entry.sourceServer }
    : serverFields(profile.source);
  // A row's server with its own port (host:port, imap://host:port) overrides the profile's port;
  // a bare host name keeps it.
  if (entry.sourceServer && parseServer(entry.sourceServer, [])?.port !== undefined)
    delete server.port;
  const master = profile.mailboxes.masterUser;
  const login = master
    ? {
        authMethod: 'masterUser',
        username: master.username,
        password: secrets.sourceMaster,
        authorizationIdentity: entry.sourceUser,
      }
    : entry.sourceToken || entry.sourceRefreshToken
      ? tokenLogin(profile, entry, secrets)
      : { username: entry.sourceUser, password: entry.sourcePassword };
  const { copy, throttle } = profile;
  return {
    ...server,
    ...login,
    isSource: true,
    ...(copy.foldersInclude ? { foldersInclude: copy.foldersInclude } : {}),
    ...(copy.foldersExclude ? { foldersExclude: copy.foldersExclude } : {}),
    ...(copy.startDate ? { startDate: copy.startDate } : {}),
    ...(copy.endDate ? { endDate: copy.endDate } : {}),
    ...(throttle.delayBetweenMessages !== undefined
      ? { delayBetweenMessages: throttle.delayBetweenMessages }
      : {}),
    ...(throttle.maxQueueDepth ? { maxQueueDepth: throttle.maxQueueDepth } : {}),
  };
}

/**
 * A source login with the row's OAuth2 token (XOAUTH2 / OAUTHBEARER): an access token as it
 * is, or a refresh token exchanged at the profile's oauth2 token endpoint (the client secret
 * from IMAP_OAUTH2_CLIENT_SECRET).
 */
function tokenLogin(
  profile: BatchProfile,
  entry: MailboxEntry,
  secrets: BatchSecrets,
): Record<string, unknown> {
  const endpoint = profile.oauth2;
  return {
    authMethod: 'oauth2',
    username: entry.sourceUser,
    ...(entry.sourceToken ? { oauth2AccessToken: entry.sourceToken } : {}),
    ...(entry.sourceRefreshToken ? { oauth2RefreshToken: entry.sourceRefreshToken } : {}),
    ...(endpoint
      ? {
          oauth2TokenUrl: endpoint.tokenUrl,
          oauth2ClientId: endpoint.clientId,
          ...(endpoint.scope ? { oauth2Scope: endpoint.scope } : {}),
          ...(secrets.oauth2Client ? { oauth2ClientSecret: secrets.oauth2Client } : {}),
        }
      : {}),
  };
}

/** The master login of a mailbox's own-login destination that a hook may create, if any. */
function asMaster(
  profile: BatchProfile,
  entry: MailboxEntry,
  secrets: BatchSecrets,
): Record<string, unknown> | undefined {
  const { imap, login, masterUser, provision } = profile.destination;
  if (!imap || login === 'master' || !masterUser || !provision || !secrets.destinationMaster)
    return undefined;
  return {
    ...serverFields(imap),
    authMethod: 'masterUser',
    username: masterUser,
    password: secrets.destinationMaster,
    authorizationIdentity: entry.destinationMailbox ?? entry.sourceUser,
    isTarget: true,
    isSource: false,
  };
}

function destinationConfig(
  profile: BatchProfile,
  entry: MailboxEntry,
  secrets: BatchSecrets,
): Record<string, unknown> | undefined {
  const { imap, login, masterUser } = profile.destination;
  if (!imap) return undefined;
  const mailbox = entry.destinationMailbox ?? entry.sourceUser;
  const credentials =
    login === 'master'
      ? {
          authMethod: 'masterUser',
          username: masterUser,
          password: secrets.destinationMaster,
          authorizationIdentity: mailbox,
        }
      : { username: mailbox, password: entry.destinationPassword ?? entry.sourcePassword };
  return { ...serverFields(imap), ...credentials, isTarget: true, isSource: false };
}

/** The import jobs of a batch, one per mailbox; `importState` is the batch's journal file for IMAP destinations. */
export function mailboxJobs(
  profile: BatchProfile,
  entries: MailboxEntry[],
  secrets: BatchSecrets,
  importState: string,
): MailboxJob[] {
  const { copy, destination } = profile;
  return entries.map((entry) => {
    const source = sourceConfig(profile, entry, secrets);
    const target = destinationConfig(profile, entry, secrets);
    const spec: ImportSpec = {
      destination: target
        ? { connection: target, state: importState }
        : {
            archive: destination.archive!,
            ...(entry.archiveUser ? { account: entry.archiveUser } : {}),
          },
      ...(copy.query ? { query: copy.query } : {}),
      ...(copy.dedupe ? { dedupe: copy.dedupe } : {}),
      ...(destination.folderPrefix ? { folderPrefix: destination.folderPrefix } : {}),
      ...(copy.folderMapping ? { folderMapping: copy.folderMapping } : {}),
      ...(copy.sentFolder ? { sentFolder: copy.sentFolder } : {}),
      ...(copy.postReadAction ? { postReadAction: copy.postReadAction as never } : {}),
      ...(target && destination.existing === 'replace' ? { replace: true } : {}),
      ...(copy.syncFlags === false ? { syncFlags: false } : {}),
      ...(copy.mirrorDeletions === true ? { mirrorDeletions: true } : {}),
      ...(profile.source.protocol === 'pop3'
        ? { pop3: { folder: copy.pop3Folder ?? 'INBOX' } }
        : {}),
    };
    const servers = [serverOf(source)];
    if (target) servers.push(serverOf(target));
    const master = target ? asMaster(profile, entry, secrets) : undefined;
    return {
      entry,
      label: entry.owner ? `${entry.owner} <${entry.sourceUser}>` : entry.sourceUser,
      source,
      ...(target ? { destination: target } : {}),
      ...(master ? { destinationAsMaster: master } : {}),
      spec,
      servers,
    };
  });
}

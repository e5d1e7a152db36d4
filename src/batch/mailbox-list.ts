import { readFileSync } from 'node:fs';
import { readEnvSecret } from '../config/load-config.js';
import { ConfigError, type Issue } from '../errors.js';
import type { BatchProfile } from './batch-profile.js';
import { ldapUsers } from './ldap-users.js';
import { decodeListFile, type ListEncoding } from './decode-list.js';
import { parseMailboxCsv } from './mailbox-csv.js';
import { missingWebhookSecrets } from './webhook-auth.js';
import { entryKey, type MailboxEntry } from './mailbox-entry.js';

/**
 * Checks a mailbox list file's bytes as a batch will read them (UTF-8 or the given encoding,
 * every CSV layout) and says how many mailboxes it holds: for a host that takes an upload
 * (the console) and refuses a bad list at once.
 * @throws CONFIG_INVALID with every problem's line and column.
 */
export function checkMailboxCsv(bytes: Uint8Array, encoding?: ListEncoding): number {
  return parseMailboxCsv(decodeListFile(bytes, '/mailboxes/csv', encoding)).length;
}

/** Environment variables a batch takes its shared secrets from (each also as NAME_FILE). */
export const BATCH_SECRET_ENV = {
  sourceMaster: 'IMAP_MASTER_PASSWORD',
  destinationMaster: 'IMAP_TARGET_MASTER_PASSWORD',
  smtp: 'SMTP_PASSWORD',
  ldapBind: 'LDAP_BIND_PASSWORD',
  oauth2Client: 'IMAP_OAUTH2_CLIENT_SECRET',
} as const;

/**
 * A list file named by the profile, as text.
 * @throws CONFIG_INVALID naming `field` and why the file cannot be read.
 */
function readListFile(path: string, field: string, encoding?: ListEncoding): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new ConfigError([{ field, message: `${JSON.stringify(path)} cannot be read (${code})` }]);
  }
  return decodeListFile(bytes, field, encoding);
}

function readList(path: string, field: string): { user: string; line: number }[] {
  return readListFile(path, field)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line, index) => ({ user: line.trim(), line: index + 1 }))
    .filter(({ user }) => user !== '' && !user.startsWith('#'));
}

/** The master user's users, narrowed by select (all, all except the list, only the list). */
async function masterUserEntries(
  master: NonNullable<BatchProfile['mailboxes']['masterUser']>,
  secrets: BatchSecrets,
): Promise<MailboxEntry[]> {
  const users = master.usersFile
    ? readList(master.usersFile, '/mailboxes/masterUser/usersFile')
    : master.ldap
      ? (await ldapUsers(master.ldap, secrets.ldapBind)).map((user) => ({ user, line: 0 }))
      : (master.users ?? []).map((user) => ({ user, line: 0 }));
  const issues: Issue[] = [];
  const known = new Set(users.map(({ user }) => user.toLowerCase()));
  const listed = new Set((master.list ?? []).map((user) => user.toLowerCase()));
  (master.list ?? []).forEach((user, index) => {
    if (!known.has(user.toLowerCase()))
      issues.push({
        field: `/mailboxes/masterUser/list/${index}`,
        message: `list/${index} ${JSON.stringify(user)} is not one of the users`,
      });
  });
  users.forEach(({ user, line }, index) => {
    if (/[\u0000-\u001f\u007f\s]/.test(user))
      issues.push({
        field: master.usersFile
          ? '/mailboxes/masterUser/usersFile'
          : `/mailboxes/masterUser/users/${index}`,
        ...(line ? { position: { line, column: 1 } } : {}),
        message: `${line ? `line ${line}` : `users/${index}`}: a user name holds a space or control character`,
      });
  });
  if (issues.length > 0) throw new ConfigError(issues);
  const chosen = users.filter(({ user }) => {
    if (master.select === 'all') return true;
    const inList = listed.has(user.toLowerCase());
    return master.select === 'only' ? inList : !inList;
  });
  const seen = new Set<string>();
  return chosen.flatMap(({ user, line }) => {
    const entry = { sourceUser: user };
    const key = entryKey(entry);
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ ...entry, line, key }];
  });
}

/**
 * The mailboxes of a batch, from its CSV file or its master user's list (a file, inline, or
 * an LDAP search); all checked before any IMAP connection.
 * @throws CONFIG_INVALID with every problem (CSV ones with line and column); DIRECTORY_FAILED.
 */
export async function mailboxesOf(
  profile: BatchProfile,
  secrets: BatchSecrets,
): Promise<MailboxEntry[]> {
  const { csv, masterUser, encoding } = profile.mailboxes;
  const entries = masterUser
    ? await masterUserEntries(masterUser, secrets)
    : parseMailboxCsv(readListFile(csv!, '/mailboxes/csv', encoding));
  const domain = profile.destination.imap ? profile.destination.domain : undefined;
  if (!profile.destination.imap) refuseArchiveUsersWrittenTwoWays(entries);
  return domain ? entries.map((entry) => inDomain(entry, domain)) : entries;
}

/**
 * Several mailboxes may go into one archive user (its folders merged; each mailbox keeps its own
 * keys there, sinks/archive-validity.ts), but one user written in two cases ("alice", "Alice")
 * would be two archive accounts where the list meant one.
 * @throws CONFIG_INVALID naming both lines.
 */
function refuseArchiveUsersWrittenTwoWays(entries: readonly MailboxEntry[]): void {
  const seen = new Map<string, MailboxEntry>();
  const issues: Issue[] = [];
  for (const entry of entries) {
    if (!entry.archiveUser) continue;
    const earlier = seen.get(entry.archiveUser.toLowerCase());
    if (earlier && earlier.archiveUser !== entry.archiveUser)
      issues.push({
        field: '/mailboxes/csv',
        position: { line: entry.line, column: 1 },
        message: `line ${entry.line}: archive user ${JSON.stringify(entry.archiveUser)} is line ${earlier.line}'s ${JSON.stringify(earlier.archiveUser)} written another way; write it as it is there, or it would be a second archive account`,
      });
    else if (!earlier) seen.set(entry.archiveUser.toLowerCase(), entry);
  }
  if (issues.length > 0) throw new ConfigError(issues);
}

/**
 * A hosting panel's "the mailbox is the part before @, the domain chosen in the panel": the
 * destination mailbox's local part (of the row's mailbox, else of the source user) at `domain`.
 */
function inDomain(entry: MailboxEntry, domain: string): MailboxEntry {
  const mailbox = entry.destinationMailbox ?? entry.sourceUser;
  const at = mailbox.lastIndexOf('@');
  const moved = {
    ...entry,
    destinationMailbox: `${at < 0 ? mailbox : mailbox.slice(0, at)}@${domain}`,
  };
  const { key: _key, line: _line, ...identity } = moved;
  return { ...moved, key: entryKey(identity) };
}

/** The secrets a batch needs besides the list's own, read once at the start. */
export interface BatchSecrets {
  sourceMaster?: string;
  destinationMaster?: string;
  smtp?: string;
  ldapBind?: string;
  /** The OAuth2 client's secret, when the token endpoint wants one (optional: public clients). */
  oauth2Client?: string;
}

/**
 * Reads the shared secrets the profile needs from the environment.
 * @throws CONFIG_INVALID naming the variable that is missing.
 */
export function batchSecrets(
  profile: BatchProfile,
  env: Record<string, string | undefined>,
): BatchSecrets {
  const issues: Issue[] = [];
  const need = (name: string, field: string): string | undefined => {
    const value = readEnvSecret(env, name, field);
    if (value === undefined)
      issues.push({
        field,
        message: `${name} (or ${name}_FILE) must hold the password for ${field.slice(1)}`,
      });
    return value;
  };
  const secrets: Record<string, string | undefined> = {};
  if (profile.mailboxes.masterUser)
    secrets.sourceMaster = need(BATCH_SECRET_ENV.sourceMaster, '/mailboxes/masterUser');
  const { login, imap, masterUser, provision } = profile.destination;
  // The destination master logs in for every mailbox, or tells a hook's missing mailbox from a
  // wrong password in the list.
  if (imap && (login === 'master' || (masterUser && provision)))
    secrets.destinationMaster = need(BATCH_SECRET_ENV.destinationMaster, '/destination/masterUser');
  if (profile.mailboxes.masterUser?.ldap?.bindDn)
    secrets.ldapBind = need(BATCH_SECRET_ENV.ldapBind, '/mailboxes/masterUser/ldap/bindDn');
  if (profile.oauth2) {
    const client = readEnvSecret(env, BATCH_SECRET_ENV.oauth2Client, '/oauth2');
    if (client !== undefined) secrets.oauth2Client = client;
  }
  if (profile.notify?.email?.username)
    secrets.smtp = need(BATCH_SECRET_ENV.smtp, '/notify/email/username');
  // The webhooks' secrets are read when they are called; here only checked to be there.
  issues.push(
    ...missingWebhookSecrets(profile.notify?.webhook, '/notify/webhook', env),
    ...missingWebhookSecrets(profile.destination.provision, '/destination/provision', env),
  );
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.fromEntries(
    Object.entries(secrets).filter(([, v]) => v !== undefined),
  ) as BatchSecrets;
}

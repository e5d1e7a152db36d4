/**
 * Seeded source accounts for batch tests, and what a destination must then hold: per account
 * the SHA-256 of every message's exact bytes, by folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Archive } from '../../src/index.js';
import { message } from './corpus.js';
import { addDovecotUsers } from './dovecot.js';
import { dovecot, freshUser } from './make-config.js';
import { snapshot } from './mailbox-snapshot.js';
import { tempDir } from './temp-dir.js';
import { seedMailbox } from './seed.js';

export interface Account {
  name: string;
  password: string;
}

const sha = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

/** `count` accounts, each with a few messages of its own in INBOX and Sent. */
export async function seededAccounts(count: number, prefix = 'b'): Promise<Account[]> {
  const accounts = Array.from({ length: count }, () => freshUser(prefix));
  await Promise.all(
    accounts.map((account, i) =>
      seedMailbox(dovecot(), account, {
        INBOX: Array.from({ length: 2 + (i % 3) }, (_, n) => ({
          source: message(`${account.name} inbox ${n}`),
        })),
        Sent: [{ source: message(`${account.name} sent`) }],
      }),
    ),
  );
  return accounts;
}

/** A destination login the hosting panel's default password policy accepts. */
export function destinationAccount(prefix = 'd'): Account {
  const account = {
    name: `${prefix}${randomBytes(4).toString('hex')}`,
    password: `Dest-${randomBytes(6).toString('hex')}A1`,
  };
  addDovecotUsers(dovecot(), [account]);
  return account;
}

/** Folder -> sorted SHA-256 of each message, as a mailbox holds them. */
export async function mailboxHashes(account: Account): Promise<Record<string, string[]>> {
  const folders = await snapshot(account);
  return Object.fromEntries(
    Object.entries(folders).map(([folder, messages]) => [
      folder,
      messages.map((m) => m.sha256).sort(),
    ]),
  );
}

/** The same for an account inside an archive. */
export function archiveHashes(path: string, account: string): Record<string, string[]> {
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    const result: Record<string, string[]> = {};
    for (const m of archive.messages({ account })) (result[m.folder] ??= []).push(sha(m.raw));
    for (const list of Object.values(result)) list.sort();
    return result;
  } finally {
    archive.close();
  }
}

/** Writes a profile (JSON) and returns its path. */
export function writeProfile(
  dir: string,
  profile: Record<string, unknown>,
  name = 'batch.json',
): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(profile, null, 2));
  return path;
}

/** The profile's source block for the private Dovecot's plain port. */
export function dovecotSource(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: dovecot().host,
    port: dovecot().imapPort,
    security: 'none',
    timeout: 10_000,
    ...extra,
  };
}

/**
 * A new folder with `list.csv` (`email,password` lines of the accounts) and a profile archiving
 * them from the private Dovecot into `mail.archive`, with `extra` profile fields on top.
 */
export function archiveProfile(
  name: string,
  accounts: Account[],
  extra: Record<string, unknown> = {},
): { dir: string; profile: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'list.csv'), accounts.map((a) => `${a.name},${a.password}`).join('\n'));
  const profile = writeProfile(dir, {
    name,
    source: dovecotSource(),
    destination: { archive: 'mail.archive' },
    mailboxes: { csv: 'list.csv' },
    ...extra,
  });
  return { dir, profile };
}

/** `panel.csv` in the hosting panel's headerless layout: each source account to its new login. */
export function writePanelCsv(dir: string, pairs: [Account, Account][], eol = '\n'): void {
  writeFileSync(
    join(dir, 'panel.csv'),
    pairs
      .map(
        ([from, to]) => `${dovecot().host};${from.name};${from.password};${to.name};${to.password}`,
      )
      .join(eol),
  );
}

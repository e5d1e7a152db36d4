/**
 * What every chaos trial runs against: one private Dovecot (and a Redis for queued batches),
 * a fault proxy in front of Dovecot's IMAP and one in front of its POP3, fresh accounts seeded
 * with ordinary and hostile mail, and the content of a mailbox or an archive account as a
 * multiset of SHA-256s per folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Archive } from '../../src/archive.js';
import { addDovecotUsers, startDovecot, type DovecotServer } from '../../test/helpers/dovecot.js';
import { startFaultProxy, type FaultProxy } from '../../test/helpers/fault-proxy.js';
import {
  attachmentMessage,
  goodMessage,
  hostileMessages,
} from '../../test/helpers/hostile-messages.js';
import { withImapClient } from '../../test/helpers/imap-client.js';
import { startRedis, type RedisServer } from '../../test/helpers/redis.js';
import { seedMailbox } from '../../test/helpers/seed.js';

export interface Account {
  name: string;
  password: string;
}

/** Folder -> SHA-256 -> count. */
export type Content = Map<string, Map<string, number>>;

export interface World {
  dovecot: DovecotServer;
  redis: RedisServer;
  proxy: FaultProxy;
  /** In front of Dovecot's POP3 (the POP3 downloads' source). */
  pop3Proxy: FaultProxy;
  /** Faults both proxies dealt so far (cuts, silences, refused sessions). */
  faults(): number;
  /** The key sealing queued jobs (base64, 32 bytes). */
  queueKey: string;
  dir: string;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'imap-connector-chaos-'));
  const dovecot = await startDovecot();
  const redis = await startRedis();
  const proxy = await startFaultProxy(dovecot.imapPort);
  const pop3Proxy = await startFaultProxy(dovecot.pop3Port);
  return {
    dovecot,
    redis,
    proxy,
    pop3Proxy,
    faults: () => [proxy, pop3Proxy].reduce((n, p) => n + p.faults() + p.refused(), 0),
    queueKey: randomBytes(32).toString('base64'),
    dir,
    close: async () => {
      await proxy.close();
      await pop3Proxy.close();
      await redis.stop();
      await dovecot.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newAccount(world: World, prefix: string): Account {
  const account = {
    name: `${prefix}${randomBytes(4).toString('hex')}`,
    // Meets the batch's default password policy, for destination logins too.
    password: `Chaos-${randomBytes(6).toString('hex')}A1`,
  };
  addDovecotUsers(world.dovecot, [account]);
  return account;
}

/**
 * An account with ordinary mail in one or two folders, a hostile message now and then (small
 * versions of the issue's), sometimes a message twice in a folder (a source's own duplicate,
 * which a destination may keep once), and sometimes a message with an attachment.
 */
export async function seededAccount(
  world: World,
  random: () => number,
  prefix: string,
): Promise<Account> {
  const account = newAccount(world, prefix);
  const hostile = hostileMessages(0.01);
  const folders: Record<string, { source: Buffer }[]> = {};
  for (const folder of random() < 0.5 ? ['INBOX'] : ['INBOX', 'Archive/2024']) {
    const count = 4 + Math.floor(random() * 12);
    const messages = Array.from({ length: count }, (_, i) => ({
      source: goodMessage(Math.floor(random() * 1e9) + i),
    }));
    if (random() < 0.4)
      messages.splice(Math.floor(random() * count), 0, {
        source: hostile[Math.floor(random() * hostile.length)]!.source,
      });
    if (random() < 0.2) messages.push({ source: messages[0]!.source });
    // Attachments: the archive keeps a canonical one as its bytes, a spoiled one as Brotli;
    // one in six is of 5 MB, larger than an import's read batch: it streams into an account.
    // Decided by a hash of what was drawn, not by more draws: each seed's trial stays as it was.
    const draw = createHash('sha256').update(`${prefix}/${folder}/${count}`).digest();
    const kilobytes = draw[6]! < 43 ? 5 * 1024 : 6;
    if (draw[0]! < 102)
      messages.push({
        source: attachmentMessage(draw.readUInt32BE(2), draw[1]! < 77, kilobytes),
      });
    folders[folder] = messages;
  }
  await seedMailbox(world.dovecot, account, folders);
  return account;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

function add(content: Content, folder: string, bytes: Buffer): void {
  const counts = content.get(folder) ?? new Map<string, number>();
  counts.set(sha(bytes), (counts.get(sha(bytes)) ?? 0) + 1);
  content.set(folder, counts);
}

/** What a mailbox holds, per folder (folders mapped by `rename`, e.g. a target's prefix). */
export async function mailboxContent(world: World, account: Account): Promise<Content> {
  const content: Content = new Map();
  await withImapClient(account, world.dovecot, async (client) => {
    for (const folder of await client.list()) {
      if (folder.flags.has('\\Noselect')) continue;
      const lock = await client.getMailboxLock(folder.path, { readOnly: true });
      try {
        if (!client.mailbox || !client.mailbox.exists) continue;
        for await (const message of client.fetch('1:*', { source: true }))
          add(content, folder.path, message.source ?? Buffer.alloc(0));
      } finally {
        lock.release();
      }
    }
  });
  return content;
}

/** A message the source now holds twice: its folder and the UID of the one it held first. */
export interface Twin {
  folder: string;
  uid: number;
}

/** Appends a copy of a random message of INBOX to INBOX: the source holds it twice. */
export async function twinOne(
  world: World,
  account: Account,
  random: () => number,
): Promise<Twin | undefined> {
  return withImapClient(account, world.dovecot, async (client) => {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const uids = (await client.search({ all: true }, { uid: true })) || [];
      if (uids.length === 0) return undefined;
      const uid = uids[Math.floor(random() * uids.length)]!;
      const message = await client.fetchOne(String(uid), { source: true }, { uid: true });
      if (!message || !message.source) return undefined;
      await client.append('INBOX', message.source);
      return { folder: 'INBOX', uid };
    } finally {
      lock.release();
    }
  });
}

/**
 * Expunges each message of the mailbox with probability `share`, and `also` (at the source,
 * between runs: what mirrorDeletions then carries over); how many it expunged.
 */
export async function expungeAtRandom(
  world: World,
  account: Account,
  random: () => number,
  share: number,
  also?: Twin,
): Promise<number> {
  let expunged = 0;
  await withImapClient(account, world.dovecot, async (client) => {
    for (const folder of await client.list()) {
      if (folder.flags.has('\\Noselect')) continue;
      const lock = await client.getMailboxLock(folder.path);
      try {
        if (!client.mailbox || !client.mailbox.exists) continue;
        const uids = ((await client.search({ all: true }, { uid: true })) || []).filter(
          (uid) => (also?.folder === folder.path && also.uid === uid) || random() < share,
        );
        if (uids.length === 0) continue;
        await client.messageDelete(uids.join(','), { uid: true });
        expunged += uids.length;
      } finally {
        lock.release();
      }
    }
  });
  return expunged;
}

/** What an archive holds for one account, per folder. */
export function archiveContent(path: string, account: string): Content {
  const content: Content = new Map();
  const archive = Archive.open(path, { create: false, readonly: true });
  try {
    for (const message of archive.messages({ account })) add(content, message.folder, message.raw);
  } finally {
    archive.close();
  }
  return content;
}

/**
 * Messages of `expected` missing from `got`, and messages `got` holds more often than
 * `expected`; a source's duplicate may be held once (deduplicated), never more.
 */
export function compare(expected: Content, got: Content): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  for (const [folder, counts] of expected) {
    const held = got.get(folder) ?? new Map<string, number>();
    for (const [hash, count] of counts) {
      const have = held.get(hash) ?? 0;
      if (have === 0) lost += 1;
      duplicated += Math.max(0, have - count);
    }
  }
  for (const [folder, counts] of got)
    if (!expected.has(folder)) for (const count of counts.values()) duplicated += count;
  return { lost, duplicated };
}

/** How many messages a content holds. */
export function sizeOf(content: Content): number {
  let total = 0;
  for (const counts of content.values()) for (const count of counts.values()) total += count;
  return total;
}

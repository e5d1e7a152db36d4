/**
 * The live-mailbox scenarios (issue 29) every interop server runs the same way, so that their
 * host-visible results can be compared: a change feed that leaves the host's copy equal to the
 * mailbox, an import rerun that carries flag changes to the destination, and a watch that brings
 * each new message once.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { read, runImport, watch } from '../../src/index.js';
import { message } from './corpus.js';
import type { DovecotInfo } from './dovecot.js';
import { withImapClient } from './imap-client.js';
import { freshUser, makeConfig } from './make-config.js';
import { snapshot } from './mailbox-snapshot.js';
import { seedMailbox } from './seed.js';
import { tempDir } from './temp-dir.js';

type Server = Pick<DovecotInfo, 'host' | 'imapPort'>;
type User = { name: string; password: string };
type Row = { op?: string; id: string; uid: number; subject?: string; flags?: string[] };

const sortedFlags = (flags: Iterable<string>): string[] =>
  [...flags].filter((flag) => flag !== '\\Recent').sort();

/** Reads from `cursor` until done with changes on, applying each row to `host` (id -> row). */
async function readApplying(
  config: Record<string, unknown>,
  host: Map<string, Row>,
  cursor?: string,
): Promise<{ cursor: string; ops: Record<string, number> }> {
  const ops: Record<string, number> = {};
  for (let pages = 0; pages < 50; pages++) {
    const page = await read(config, 'FOLDER INBOX ALL', {
      changes: true,
      pageSize: 3,
      ...(cursor ? { cursor } : {}),
    });
    for (const row of page.rows as Row[]) {
      const op = row.op ?? 'insert';
      ops[op] = (ops[op] ?? 0) + 1;
      if (op === 'delete') host.delete(row.id);
      else host.set(row.id, row);
    }
    cursor = page.cursor;
    if (page.done) return { cursor, ops };
  }
  throw new Error('the read did not finish in 50 pages');
}

/** INBOX as the host should hold it: UID -> subject and flags. */
async function inboxNow(server: Server, user: User): Promise<Record<number, string>> {
  return withImapClient(user, server, async (client) => {
    const lock = await client.getMailboxLock('INBOX', { readOnly: true });
    try {
      const now: Record<number, string> = {};
      if (client.mailbox && client.mailbox.exists)
        for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true }))
          now[m.uid] = `${m.envelope?.subject} ${sortedFlags(m.flags ?? []).join(' ')}`;
      return now;
    } finally {
      lock.release();
    }
  });
}

const hostView = (host: Map<string, Row>): Record<number, string> =>
  Object.fromEntries(
    [...host.values()].map((row) => [
      row.uid,
      `${row.subject} ${sortedFlags(row.flags ?? []).join(' ')}`,
    ]),
  );

/**
 * Five messages read with changes on; then another client flags one, marks one read, expunges
 * one and delivers one; the read from the cursor brings 1 delete, 2 updates and 1 insert, and
 * the host's copy, rows applied in order, equals INBOX. A last read brings nothing.
 */
export async function changeFeedKeepsHostEqual(
  server: Server,
  user: User,
  config: Record<string, unknown>,
): Promise<void> {
  await seedMailbox(server, user, {
    INBOX: [1, 2, 3, 4, 5].map((n) => ({ source: message(`Live ${n}`) })),
  });
  const host = new Map<string, Row>();
  const first = await readApplying(config, host);
  expect(first.ops).toEqual({ insert: 5 });
  const uids = [...host.values()].map((row) => row.uid).sort((a, b) => a - b);
  await withImapClient(user, server, async (client) => {
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
    await client.messageFlagsAdd(String(uids[1]), ['\\Seen'], { uid: true });
    await client.messageDelete(String(uids[2]), { uid: true });
  });
  await seedMailbox(server, user, { INBOX: [{ source: message('Live 6') }] });
  const second = await readApplying(config, host, first.cursor);
  expect(second.ops).toEqual({ delete: 1, update: 2, insert: 1 });
  expect(hostView(host)).toEqual(await inboxNow(server, user));
  const third = await readApplying(config, host, second.cursor);
  expect(third.ops).toEqual({});
}

/** Message-ID -> sorted flags of every message of a snapshot. */
function flagsById(folders: Awaited<ReturnType<typeof snapshot>>): Record<string, string[]> {
  return Object.fromEntries(
    Object.values(folders)
      .flat()
      .map((m) => [m.messageId ?? m.sha256, m.flags]),
  );
}

/**
 * An import into a Dovecot account; then the source's flags change (one flagged, one read,
 * one unflagged) and a rerun copies nothing and updates those three at the destination, whose
 * flags then equal the source's.
 */
export async function importRerunSyncsFlags(
  server: Server,
  user: User,
  config: Record<string, unknown>,
): Promise<void> {
  await seedMailbox(server, user, {
    INBOX: [1, 2, 3, 4].map((n) => ({
      source: message(`Sync ${n}`),
      flags: n === 4 ? ['\\Flagged'] : [],
    })),
  });
  const target = freshUser('sync');
  const spec = {
    destination: {
      connection: makeConfig(target, { isTarget: true, isSource: false }),
      state: join(tempDir(), 'state.db'),
    },
  };
  expect((await runImport(config, spec)).totals).toMatchObject({ copied: 4, failed: 0 });
  await withImapClient(user, server, async (client) => {
    await client.mailboxOpen('INBOX');
    const subjects = new Map<string, number>();
    for await (const m of client.fetch('1:*', { uid: true, envelope: true }))
      subjects.set(m.envelope?.subject ?? '', m.uid);
    await client.messageFlagsAdd(String(subjects.get('Sync 1')), ['\\Flagged'], { uid: true });
    await client.messageFlagsAdd(String(subjects.get('Sync 2')), ['\\Seen'], { uid: true });
    await client.messageFlagsRemove(String(subjects.get('Sync 4')), ['\\Flagged'], { uid: true });
  });
  const rerun = await runImport(config, spec);
  expect(rerun.totals).toMatchObject({ copied: 0, failed: 0, flagsUpdated: 3 });
  expect(flagsById(await snapshot(target))).toEqual(flagsById(await snapshot(user, server)));
}

/**
 * A watch of INBOX restarted every 2 s: the message there, then `pushes` messages delivered one
 * at a time by another client, each arriving once and in order, by the server's push or, where
 * that is late or missing, by the restart's read.
 */
export async function watchBringsEachOnce(
  server: Server,
  user: User,
  config: Record<string, unknown>,
  label: string,
  pushes: number,
): Promise<void> {
  await seedMailbox(server, user, { INBOX: [{ source: message(`${label} watch before`) }] });
  const controller = new AbortController();
  const subjects: string[] = [];
  const done = watch(config, 'FOLDER INBOX ALL', {
    signal: controller.signal,
    idleRestartSeconds: 2,
    onRows: ({ rows }) => {
      for (const row of rows) subjects.push((row as Row).subject ?? '');
    },
  });
  const until = async (count: number) => {
    for (let i = 0; i < 500 && subjects.length < count; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(subjects).toHaveLength(count);
  };
  const pushed = Array.from({ length: pushes }, (_, i) => `${label} pushed ${i + 1}`);
  try {
    await until(1);
    for (const [i, subject] of pushed.entries()) {
      await seedMailbox(server, user, { INBOX: [{ source: message(subject) }] });
      await until(2 + i);
    }
  } finally {
    controller.abort();
    await done;
  }
  expect(subjects).toEqual([`${label} watch before`, ...pushed]);
}

/**
 * The change feed (issue 29, item 1) against Dovecot (CONDSTORE): from a cursor, a read with
 * `changes: true` brings deletions (expunged, moved away, no longer matching), updates (flags
 * changed) and new messages, and a host that applies the rows in order ends equal to the
 * mailbox. Property test: random APPEND, STORE, EXPUNGE and MOVE by another client between
 * reads of two pages at most, for a query of every message and for UNSEEN (messages leave and
 * come back into it); after every read the host's copy equals the mailbox.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read } from '../../src/index.js';
import { imapClient, withImapClient } from '../helpers/imap-client.js';
import {
  addDovecotUsers,
  CAPABILITIES_WITHOUT_CONDSTORE,
  startDovecot,
  type DovecotServer,
} from '../helpers/dovecot.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { changeFeedKeepsHostEqual, importRerunSyncsFlags } from '../helpers/live-scenarios.js';

type Row = { op: string; id: string; uid: number; flags?: string[]; subject?: string };

const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@feed.test>\r\n\r\n${id}\r\n`;

/** Every page from `cursor`, with changes; the host's copy updated in row order. */
async function sync(
  config: Record<string, unknown>,
  query: string,
  copy: Map<string, Row>,
  cursor: string | undefined,
  pageSize = 2,
): Promise<{ cursor: string; rows: Row[] }> {
  const all: Row[] = [];
  for (;;) {
    const page = await read(config, query, {
      changes: true,
      pageSize,
      ...(cursor ? { cursor } : {}),
    });
    for (const row of page.rows as Row[]) {
      all.push(row);
      if (row.op === 'delete') copy.delete(row.id);
      else copy.set(row.id, row);
    }
    cursor = page.cursor;
    if (page.done) return { cursor, rows: all };
  }
}

/** INBOX as the host should hold it: uid -> sorted flags, for the messages the query matches. */
async function truth(client: ImapFlow, unseenOnly: boolean): Promise<[number, string[]][]> {
  const lock = await client.getMailboxLock('INBOX');
  try {
    const out: [number, string[]][] = [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
      const flags = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
      if (!unseenOnly || !flags.includes('\\Seen')) out.push([m.uid, flags]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  } catch {
    return [];
  } finally {
    lock.release();
  }
}

const held = (copy: Map<string, Row>): [number, string[]][] =>
  [...copy.values()]
    .map((r) => [r.uid, [...(r.flags ?? [])].sort()] as [number, string[]])
    .sort((a, b) => a[0] - b[0]);

describe('the change feed', () => {
  it('brings deletions, flag changes and new mail since the cursor, and the host ends equal to the mailbox', async () => {
    const user = freshUser('cf');
    await seedMailbox(dovecot(), user, {
      INBOX: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ source: mail(id) })),
      Archive: [],
    });
    const config = makeConfig(user);
    const copy = new Map<string, Row>();
    const first = await sync(config, 'FOLDER INBOX ALL', copy, undefined);
    expect(first.rows.map((r) => [r.op, r.subject])).toEqual(
      ['a', 'b', 'c', 'd', 'e'].map((id) => ['insert', id]),
    );
    const client = imapClient(user, dovecot());
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd('2', ['\\Flagged'], { uid: true });
        await client.messageFlagsAdd('3', ['\\Seen'], { uid: true });
        await client.messageDelete('4', { uid: true });
        await client.messageMove('5', 'Archive', { uid: true });
      } finally {
        lock.release();
      }
      await client.append('INBOX', mail('f'));
      const second = await sync(config, 'FOLDER INBOX ALL', copy, first.cursor);
      expect(second.rows.map((r) => [r.op, r.uid])).toEqual([
        ['delete', 4],
        ['delete', 5],
        ['update', 2],
        ['update', 3],
        ['insert', 6],
      ]);
      expect(second.rows[2]!.flags).toContain('\\Flagged');
      expect(second.rows[0]).toEqual({
        op: 'delete',
        id: expect.stringMatching(/^imap:\/\/.*\/INBOX;UIDVALIDITY=\d+\/;UID=4$/),
        folder: 'INBOX',
        uid: 4,
        uidValidity: expect.any(String),
      });
      expect(held(copy)).toEqual(await truth(client, false));
      // Each row as its exported schema says: deletions, and rows with their op.
      const schema = (name: string) =>
        new Ajv2020({ allErrors: true }).compile(
          JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')),
        );
      const [asRow, asDeletion] = [schema('row.schema.json'), schema('deleted-row.schema.json')];
      for (const row of second.rows)
        expect((row.op === 'delete' ? asDeletion : asRow)(row), JSON.stringify(row)).toBe(true);
      // Nothing changed since: nothing comes.
      expect((await sync(config, 'FOLDER INBOX ALL', copy, second.cursor)).rows).toEqual([]);
    } finally {
      await client.logout();
    }
  });

  it('switched on for a cursor made without it: the host holds what was read, so an expunge is a delete', async () => {
    const user = freshUser('cw');
    await seedMailbox(dovecot(), user, {
      INBOX: ['a', 'b', 'c'].map((id) => ({ source: mail(id) })),
    });
    const config = makeConfig(user);
    const plain = await read(config, 'FOLDER INBOX ALL', {});
    expect(plain.rows).toHaveLength(3);
    // The first run with changes sets the baseline: nothing to report yet.
    const copy = new Map<string, Row>();
    const baseline = await sync(config, 'FOLDER INBOX ALL', copy, plain.cursor);
    expect(baseline.rows).toEqual([]);
    const client = imapClient(user, dovecot());
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
        await client.messageDelete('2', { uid: true });
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    const after = await sync(config, 'FOLDER INBOX ALL', copy, baseline.cursor);
    expect(after.rows.map((r) => [r.op, r.uid])).toEqual([
      ['delete', 2],
      ['update', 1],
    ]);
  });

  // A run's baseline is HIGHESTMODSEQ when its first page examined the folder: mail that came
  // later has a higher MODSEQ, so a run that also read it reported it again, as an update, in
  // the next run. Such mail waits for the next run.
  it('mail that arrives during a run comes once, in the next run, not again as an update', async () => {
    const user = freshUser('cr');
    await seedMailbox(dovecot(), user, {
      INBOX: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ source: mail(id) })),
    });
    const config = makeConfig(user);
    const first = await read(config, 'FOLDER INBOX ALL', { changes: true, pageSize: 2 });
    expect(first.done).toBe(false);
    await withImapClient(user, dovecot(), (client) => client.append('INBOX', mail('late')));
    const copy = new Map<string, Row>();
    const rest = await sync(config, 'FOLDER INBOX ALL', copy, first.cursor);
    const run = [...(first.rows as Row[]), ...rest.rows].map((r) => [r.op, r.subject]);
    expect(run).toEqual(['a', 'b', 'c', 'd', 'e'].map((id) => ['insert', id]));
    const next = await sync(config, 'FOLDER INBOX ALL', copy, rest.cursor);
    expect(next.rows.map((r) => [r.op, r.subject])).toEqual([['insert', 'late']]);
    expect((await sync(config, 'FOLDER INBOX ALL', copy, next.cursor)).rows).toEqual([]);
  });

  for (const query of ['FOLDER INBOX ALL', 'FOLDER INBOX UNSEEN'])
    it(
      `keeps a host equal to the mailbox through random changes (${query})`,
      () => randomChanges(query, () => ({ server: dovecot(), user: freshUser('cp') })),
      120_000,
    );
});

// Dovecot announcing no CONDSTORE or QRESYNC (as Courier IMAP): flag changes are found by
// comparing each message's flags with the hashes the cursor keeps.
describe('the change feed on a server without CONDSTORE', () => {
  let bare: DovecotServer;
  let users = 0;
  beforeAll(async () => {
    bare = await startDovecot({
      capabilities: CAPABILITIES_WITHOUT_CONDSTORE,
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  for (const query of ['FOLDER INBOX ALL', 'FOLDER INBOX UNSEEN'])
    it(
      `keeps a host equal to the mailbox through random changes (${query})`,
      () =>
        randomChanges(query, () => {
          const user = { name: `bare${++users}x${process.pid}`, password: `bare-pw-${users}` };
          addDovecotUsers(bare, [user]);
          return { server: bare, user };
        }),
      120_000,
    );
});

/** The property: random changes by another client between reads; after each, host == mailbox. */
async function randomChanges(
  query: string,
  account: () => {
    server: { host: string; imapPort: number };
    user: { name: string; password: string };
  },
): Promise<void> {
  const unseenOnly = query.includes('UNSEEN');
  const action = fc.oneof(
    fc.record({ kind: fc.constant('append' as const), seen: fc.boolean() }),
    fc.record({
      kind: fc.constantFrom('seen' as const, 'unseen' as const, 'flag' as const),
      pick: fc.nat(),
    }),
    fc.record({ kind: fc.constantFrom('expunge' as const, 'move' as const), pick: fc.nat() }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(action, { maxLength: 6 }), { minLength: 1, maxLength: 4 }),
      async (rounds) => {
        const { server, user } = account();
        await seedMailbox(server, user, {
          INBOX: ['s1', 's2', 's3'].map((id, i) => ({
            source: mail(id),
            flags: i === 0 ? ['\\Seen'] : [],
          })),
          Elsewhere: [],
        });
        const config = { ...makeConfig(user), server: server.host, port: server.imapPort };
        const copy = new Map<string, Row>();
        let { cursor } = await sync(config, query, copy, undefined);
        const client = imapClient(user, server);
        await client.connect();
        try {
          let n = 0;
          for (const round of rounds) {
            for (const step of round) await change(client, step, `m${n++}`);
            ({ cursor } = await sync(config, query, copy, cursor));
            expect(held(copy)).toEqual(await truth(client, unseenOnly));
          }
        } finally {
          await client.logout();
        }
      },
    ),
    { numRuns: 12 },
  );
}

type Step =
  | { kind: 'append'; seen: boolean }
  | { kind: 'seen' | 'unseen' | 'flag' | 'expunge' | 'move'; pick: number };

/** One change by another client: a new message, a flag set or removed, an expunge, a move. */
async function change(client: ImapFlow, step: Step, id: string): Promise<void> {
  if (step.kind === 'append') {
    await client.append('INBOX', mail(id), step.seen ? ['\\Seen'] : []);
    return;
  }
  const lock = await client.getMailboxLock('INBOX');
  try {
    const uids = (await client.search({ all: true }, { uid: true })) || [];
    if (uids.length === 0) return;
    const uid = String(uids[step.pick % uids.length]);
    if (step.kind === 'seen') await client.messageFlagsAdd(uid, ['\\Seen'], { uid: true });
    if (step.kind === 'unseen') await client.messageFlagsRemove(uid, ['\\Seen'], { uid: true });
    if (step.kind === 'flag') await client.messageFlagsAdd(uid, ['\\Flagged'], { uid: true });
    if (step.kind === 'expunge') await client.messageDelete(uid, { uid: true });
    if (step.kind === 'move') await client.messageMove(uid, 'Elsewhere', { uid: true });
  } finally {
    lock.release();
  }
}

// The scenarios Cyrus and Courier run (cyrus.int.test.ts, courier.int.test.ts), here: the
// host-visible result is the same on all three servers.
describe('the interop scenarios on Dovecot', () => {
  it('keeps a host equal to the mailbox with changes on', async () => {
    const user = freshUser('liveeq');
    await changeFeedKeepsHostEqual(dovecot(), user, makeConfig(user));
  });

  it('carries flag changes on an import rerun', async () => {
    const user = freshUser('livesync');
    await importRerunSyncsFlags(dovecot(), user, makeConfig(user));
  });
});

/**
 * The mailbox's owner reads mail while the connector works: another client flips \Seen on
 * every message, over and over, during read and import. Dovecot then reports those changes in
 * the middle of our UID FETCH as `* n FETCH (FLAGS (...))` without UID (issue 9: every import
 * failed and reads emitted rows with UID undefined). Each run must still give every message
 * exactly once, with its real bytes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Archive, readStream, runImport } from '../../src/index.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { imapClient } from '../helpers/imap-client.js';
import { seedMailbox } from '../helpers/seed.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { tempDir } from '../helpers/temp-dir.js';

const COUNT = 600;
// Real sockets and a busy second client: generous, fixed.
const REALTIME = 60_000;

const source = (i: number): string =>
  `Message-ID: <flip-${i}@test>\r\nFrom: a@example.org\r\nTo: b@example.org\r\nSubject: flip ${i}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n${'body line\r\n'.repeat(20 + (i % 7))}`;
const sha = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

let owner: { name: string; password: string };
beforeAll(async () => {
  owner = freshUser('cf');
  await seedMailbox(dovecot(), owner, {
    INBOX: Array.from({ length: COUNT }, (_, i) => ({ source: source(i) })),
  });
}, REALTIME);

/** Another client of the same user toggling \Seen on every message until stopped; counts its rounds. */
function startFlipper(): { rounds(): number; stop(): Promise<void> } {
  let running = true;
  let rounds = 0;
  const server = dovecot();
  const client = imapClient(owner, server);
  const loop = (async () => {
    await client.connect();
    await client.mailboxOpen('INBOX');
    while (running) {
      await client.messageFlagsAdd('1:*', ['\\Seen']);
      await client.messageFlagsRemove('1:*', ['\\Seen']);
      rounds++;
    }
    await client.logout();
  })();
  return {
    rounds: () => rounds,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

let flipper: ReturnType<typeof startFlipper> | undefined;
afterEach(async () => {
  await flipper?.stop();
  flipper = undefined;
});

describe('runs while another client changes flags', () => {
  it(
    'read gives every message exactly once, each with its UID and subject',
    async () => {
      flipper = startFlipper();
      const rows: { uid: number; subject: string | null; id: string }[] = [];
      for await (const row of readStream(makeConfig(owner), 'ALL FOLDER INBOX', { pageSize: 50 }))
        rows.push(row as (typeof rows)[number]);
      expect(flipper.rounds()).toBeGreaterThan(0);
      expect(rows).toHaveLength(COUNT);
      expect(rows.every((row) => Number.isInteger(row.uid) && row.uid > 0)).toBe(true);
      expect(new Set(rows.map((row) => row.id)).size).toBe(COUNT);
      expect(rows.map((row) => row.subject).sort()).toEqual(
        Array.from({ length: COUNT }, (_, i) => `flip ${i}`).sort(),
      );
    },
    REALTIME,
  );

  it(
    'import into the archive stores every message once with its exact bytes',
    async () => {
      flipper = startFlipper();
      const path = join(tempDir(), 'flip.archive');
      const result = await runImport(makeConfig(owner), {
        destination: { archive: path },
        query: 'ALL FOLDER INBOX',
      });
      expect(flipper.rounds()).toBeGreaterThan(0);
      expect(result.totals).toMatchObject({ copied: COUNT, failed: 0 });
      const archive = Archive.open(path, { create: false });
      try {
        const stored = [...archive.messages()].map((message) => sha(message.raw)).sort();
        expect(stored).toEqual(Array.from({ length: COUNT }, (_, i) => sha(source(i))).sort());
      } finally {
        archive.close();
      }
    },
    REALTIME,
  );

  it(
    'import into another account copies every message once',
    async () => {
      flipper = startFlipper();
      const destination = freshUser('cd');
      const state = join(tempDir(), 'state.db');
      const result = await runImport(makeConfig(owner), {
        destination: {
          connection: makeConfig(destination, { isTarget: true, isSource: false }),
          state,
        },
        query: 'ALL FOLDER INBOX',
      });
      expect(flipper.rounds()).toBeGreaterThan(0);
      expect(result.totals).toMatchObject({ copied: COUNT, failed: 0 });
      const copied = (await snapshot(destination)).INBOX!.map((message) => message.sha256).sort();
      expect(copied).toEqual(Array.from({ length: COUNT }, (_, i) => sha(source(i))).sort());
    },
    REALTIME,
  );
});

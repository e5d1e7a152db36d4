/**
 * One message must never block its mailbox (issue 24). Before: a message nested about 64 MIME
 * levels deep made every read and import of the mailbox fail with PROTOCOL_ERROR at the same
 * place on every run, and the folders after it were never imported; 50,000 parts made text and
 * full reads fail with a refused FETCH. Here the generator's hostile messages
 * (test/helpers/hostile-messages.ts) sit between ordinary ones on the real Dovecot, in the first
 * of two folders: every ordinary message arrives exactly, each hostile one is there too (a row,
 * or stored bytes) and, where it is beyond the connector's limits, says so; a rerun fails nothing.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../src/archive.js';
import { readStream, runImport } from '../../src/index.js';
import { goodMessage, hostileMessages } from '../helpers/hostile-messages.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

// Seeding 15 MB of hostile mail and reading it three ways takes a few seconds on two cores.
const REALTIME = 120 * 1000;
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

type Row = {
  folder: string;
  subject: string | null;
  text?: string | null;
  to: unknown[];
  error?: { code: string; message: string };
};

const hostile = hostileMessages();
let user: { name: string; password: string };
let sources: Buffer[];

beforeAll(async () => {
  user = freshUser('hostile');
  const inbox: Buffer[] = [goodMessage(0)];
  hostile.forEach((message, i) => inbox.push(message.source, goodMessage(i + 1)));
  const later = [goodMessage(100), goodMessage(101)];
  sources = [...inbox, ...later];
  await seedMailbox(dovecot(), user, {
    INBOX: inbox.map((source) => ({ source })),
    Later: later.map((source) => ({ source })),
  });
}, REALTIME);

async function readAll(select: 'envelope' | 'text' | 'full'): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of readStream(makeConfig(user), 'ALL', { select })) rows.push(row as Row);
  return rows;
}

describe('hostile messages among ordinary ones', () => {
  it.each(['envelope', 'text', 'full'] as const)(
    '(read, select %s) give every ordinary row exactly and a row for each hostile message',
    async (select) => {
      const rows = await readAll(select);
      expect(rows).toHaveLength(sources.length);
      const good = rows.filter((row) => row.subject?.startsWith('good '));
      expect(good.map((row) => row.subject)).toEqual([
        ...hostile.map((_, i) => `good ${i}`),
        `good ${hostile.length}`,
        'good 100',
        'good 101',
      ]);
      for (const row of good) {
        expect(row.error).toBeUndefined();
        if (select !== 'envelope')
          expect(row.text).toBe(`ordinary message ${row.subject!.slice(5)}\n`);
      }
      const bySubject = new Map(rows.map((row) => [row.subject, row]));
      for (const { name } of hostile) expect(bySubject.has(`hostile ${name}`)).toBe(true);
      // Beyond the address limit: the first 10,000 kept, and the row says so.
      const addresses = bySubject.get('hostile addresses-100000')!;
      expect(addresses.to).toHaveLength(10_000);
      expect(addresses.error).toMatchObject({ code: 'MESSAGE_UNPARSABLE' });
      expect(addresses.error!.message).toMatch(/to has 9999\d/);
      if (select !== 'envelope') {
        expect(bySubject.get('hostile imap-in-body')!.text).toContain('{99999}');
        expect(bySubject.get('hostile disagreeing-structure')!.text).toMatch(/^the real text\n?$/);
        expect(bySubject.get('hostile long-header')!.text).toBe(
          'a header line of many megabytes above\n',
        );
      }
    },
    REALTIME,
  );

  it(
    '(import into the archive) stores every message byte for byte, lists the partial rows, and a rerun fails nothing',
    async () => {
      const path = `${tempDir()}/hostile.archive`;
      const first = await runImport(makeConfig(user), { destination: { archive: path } });
      expect(first.totals).toMatchObject({ copied: sources.length, failed: 0 });
      const listed = first.folders.flatMap((folder) => folder.rowErrors ?? []);
      expect(listed.map((entry) => entry.code)).toContain('MESSAGE_UNPARSABLE');
      const archive = Archive.open(path, { create: false });
      try {
        const stored = [...archive.messages()].map((message) => sha(message.raw!)).sort();
        expect(stored).toEqual(sources.map(sha).sort());
      } finally {
        archive.close();
      }
      const again = await runImport(makeConfig(user), { destination: { archive: path } });
      expect(again.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
    },
    REALTIME,
  );

  it(
    '(import into another account) copies every message byte for byte, and a rerun copies and fails nothing',
    async () => {
      const target = freshUser('hostile-to');
      const spec = {
        destination: {
          connection: makeConfig(target, { isTarget: true }),
          state: `${tempDir()}/hostile.state`,
        },
      };
      const first = await runImport(makeConfig(user), spec);
      expect(first.totals).toMatchObject({ copied: sources.length, failed: 0 });
      const copied = Object.values(await snapshot(target)).flatMap((messages) =>
        messages.map((message) => message.sha256),
      );
      expect(copied.sort()).toEqual(sources.map(sha).sort());
      const again = await runImport(makeConfig(user), spec);
      expect(again.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
    },
    REALTIME,
  );
});

/**
 * The dedicated bulk FETCH parser against imapflow's fetch() on the same messages: both paths
 * must give the same rows (and the same source bytes for select full). The corpus has encoded
 * and 8-bit headers, groups, attachments, broken MIME and duplicate Message-IDs; the benchmark
 * generator adds multipart/alternative and large base64 attachments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate-config.js';
import { openSession } from '../../src/imap/open-session.js';
import { fetchFields } from '../../src/read/fetch-fields.js';
import { fetchMessages } from '../../src/imap/fetch-messages.js';
import { messageToRow } from '../../src/rows/message-to-row.js';
import { resolveSelect } from '../../src/rows/select.js';
import { benchMessage } from '../../scripts/bench/seed-maildir.js';
import { CORPUS } from '../helpers/corpus.js';
import { eml } from '../helpers/fixtures.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { withNotedSession } from '../helpers/noted-session.js';
import { youngCollectionsSoFar } from '../../src/young-collections.js';

let user: { name: string; password: string };
beforeAll(async () => {
  user = freshUser('bf');
  await seedMailbox(dovecot(), user, {
    ...CORPUS,
    INBOX: [
      ...CORPUS.INBOX!,
      { source: eml('8bit-headers.eml') },
      { source: eml('broken-mime.eml') },
    ],
    Bench: Array.from({ length: 120 }, (_, i) => ({ source: Buffer.from(benchMessage(i * 7)) })),
  });
}, 60_000);

describe('fetchMessages (bulk parser)', () => {
  it.each(['INBOX', 'Sent', 'Überweisungen', 'Archiv/2024', 'Bench'])(
    'gives the same rows as imapflow in %s, envelope and full',
    async (folder) => {
      const session = await openSession(validateConfig(makeConfig(user)));
      try {
        const lock = await session.client.getMailboxLock(folder, { readOnly: true });
        try {
          const uids = (await session.client.search({ all: true }, { uid: true })) as number[];
          for (const select of [
            resolveSelect({ headers: ['List-Id', 'X-Mailer'] }),
            resolveSelect({ select: 'full', raw: true }),
          ]) {
            const query = fetchFields(select, session.client.capabilities);
            const { messages: viaImapflow } = await fetchMessages(session, uids, query, {
              bulk: false,
            });
            const { messages: viaBulk } = await fetchMessages(session, uids, query, { bulk: true });
            expect(viaBulk.length).toBe(viaImapflow.length);
            expect(viaBulk.length).toBeGreaterThan(0);
            const ctx = {
              account: `${user.name}@127.0.0.1`,
              folder,
              uidValidity: '1',
              dateTimeFormat: 'ISO8601',
            };
            const rows = (list: typeof viaBulk): unknown[] =>
              [...list]
                .sort((a, b) => a.uid - b.uid)
                .map((m) => messageToRow(m, ctx, undefined, select.headers));
            expect(rows(viaBulk)).toEqual(rows(viaImapflow));
            if (select.raw) {
              const sources = (list: typeof viaBulk): string[] =>
                [...list].sort((a, b) => a.uid - b.uid).map((m) => m.source!.toString('base64'));
              expect(sources(viaBulk)).toEqual(sources(viaImapflow));
            }
          }
          // MIME parts by section (text and full rows) come out the same on both paths.
          const parts = { uid: true, bodyParts: ['1', '2'] };
          const partsOf = (list: typeof viaParts): string[][] =>
            [...list]
              .sort((a, b) => a.uid - b.uid)
              .map((m) =>
                [...(m.bodyParts ?? new Map<string, Buffer>())].map(
                  ([section, bytes]) => `${section}:${bytes.toString('base64')}`,
                ),
              );
          const { messages: viaParts } = await fetchMessages(session, uids, parts, { bulk: true });
          const { messages: viaImapflowParts } = await fetchMessages(session, uids, parts, {
            bulk: false,
          });
          expect(partsOf(viaParts)).toEqual(partsOf(viaImapflowParts));
          expect(partsOf(viaParts).flat().length).toBeGreaterThan(0);
          // The session is still imapflow's after the bulk commands.
          const found = await session.client.search({ all: true }, { uid: true });
          expect(Array.isArray(found) && found.length).toBeGreaterThan(0);
        } finally {
          lock.release();
        }
      } finally {
        await session.close();
      }
    },
  );
});

describe('fetchMessages onMessage', () => {
  it('hands over each answered message as it arrives, on both paths, the ones of the result', async () => {
    await withNotedSession(user, 'Bench', async (session, order, uids) => {
      // One UID that is not in the folder: no answer, so nothing handed over for it.
      const asked = [...uids.slice(0, 40), 999_999];
      const query = { uid: true, bodyParts: ['1', '2'] };
      for (const bulk of [true, false]) {
        order.length = 0;
        const handed: number[] = [];
        let ended = false;
        const result = await fetchMessages(session, asked, query, {
          bulk,
          onMessage: (message) => {
            expect(ended).toBe(false);
            expect(message.bodyParts?.size).toBeGreaterThan(0);
            handed.push(message.uid);
            order.push('message');
          },
        }).finally(() => (ended = true));
        expect(handed).toEqual(uids.slice(0, 40));
        expect(result.messages.map((message) => message.uid)).toEqual(handed);
        // The bulk parser's tagged answer is noted when read: handing over comes before it.
        if (bulk) expect(order).toEqual([...handed.map(() => 'message'), 'tagged']);
      }
    });
  });
});

describe('the fast paths', () => {
  it('are the ones a read against Dovecot takes: UID SEARCH and UID FETCH on the borrowed socket', async () => {
    const { read } = await import('../../src/index.js');
    const lines: { src?: unknown; msg?: unknown }[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(entry);
    };
    const page = await read(makeConfig(user), 'ALL FOLDER Bench', {
      pageSize: 20,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    expect(page.rows).toHaveLength(20);
    const ours = lines
      .filter((line) => line.src === 'connector:c')
      .map((line) => String(line.msg).replace(/^\S+ /, ''));
    expect(ours.some((msg) => msg.startsWith('UID SEARCH'))).toBe(true);
    expect(ours.some((msg) => msg.startsWith('UID FETCH'))).toBe(true);
  });
});

describe('the young collections’ pacing', () => {
  it('counts every byte the bulk FETCH reads from the borrowed socket (the batch path’s copies)', async () => {
    await withNotedSession(user, 'Bench', async (session, _order, uids) => {
      const before = youngCollectionsSoFar();
      const { messages } = await fetchMessages(
        session,
        uids,
        { uid: true, source: true },
        { bulk: true },
      );
      const sources = messages.reduce((sum, message) => sum + message.source!.length, 0);
      expect(sources).toBeGreaterThan(1024 * 1024);
      const counted = youngCollectionsSoFar().bytesCounted - before.bytesCounted;
      // Every literal, and the FETCH responses around them; nothing collected unless armed.
      expect(counted).toBeGreaterThan(sources);
      expect(counted).toBeLessThan(sources + 64 * 1024);
      expect(youngCollectionsSoFar().collections).toBe(before.collections);
    });
  });
});

/**
 * Paging, incremental state, UIDVALIDITY changes, cursor checks and faults. Every test has its
 * own user; the fault tests put a loopback proxy between the connector and Dovecot that cuts
 * the link (or goes silent) after N bytes from the server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read, readStream, type ReadResult } from '../../src/index.js';
import type { Logger } from '../../src/operation-options.js';
import { CORPUS, corpusUser, message } from '../helpers/corpus.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { withClient } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';

type Row = { id: string; folder: string; uid: number; subject: string };
const TOTAL = Object.values(CORPUS).flat().length;

async function readAll(
  config: Record<string, unknown>,
  query: string,
  pageSize: number,
  cursor?: string,
): Promise<{ rows: Row[]; cursor: string; pages: number; results: ReadResult[] }> {
  const rows: Row[] = [];
  const results: ReadResult[] = [];
  let next = cursor;
  for (;;) {
    const result = await read(config, query, { pageSize, ...(next ? { cursor: next } : {}) });
    results.push(result);
    rows.push(...(result.rows as Row[]));
    next = result.cursor;
    if (result.done) return { rows, cursor: result.cursor, pages: results.length, results };
    expect(result.rows.length).toBe(pageSize);
  }
}

describe('read: paging', () => {
  it('gives identical rows, each exactly once and in order, with page sizes 1, 7 and 500', async () => {
    const config = makeConfig(await corpusUser());
    const runs = await Promise.all([1, 7, 500].map((size) => readAll(config, 'ALL', size)));
    const ids = runs.map((run) => run.rows.map((row) => row.id));
    expect(ids[0]).toHaveLength(TOTAL);
    expect(new Set(ids[0]).size).toBe(TOTAL);
    expect(ids[1]).toEqual(ids[0]);
    expect(ids[2]).toEqual(ids[0]);
    expect(runs.map((run) => run.pages)).toEqual([TOTAL, Math.ceil(TOTAL / 7), 1]);
    // Folders in a stable order, then UID ascending.
    expect(runs[2]!.rows.map((r) => r.folder)).toEqual([
      'INBOX',
      'INBOX',
      'INBOX',
      'INBOX',
      'INBOX',
      'INBOX',
      'INBOX',
      'Archiv/2024',
      'Sent',
      'Überweisungen',
    ]);
  });

  it('reads each message once when mail arrives and is deleted between pages', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [1, 2, 3, 4, 5, 6].map((n) => ({ source: message(`m${n}`) })),
    });
    const config = makeConfig(user);
    const first = await read(config, 'ALL FOLDER INBOX', { pageSize: 2 });
    expect((first.rows as Row[]).map((r) => r.subject)).toEqual(['m1', 'm2']);
    await withClient(user, async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageDelete('1,4', { uid: true }); // one already read, one not yet
      await client.append('INBOX', message('m7'));
    });
    const rest = await readAll(config, 'ALL FOLDER INBOX', 2, first.cursor);
    expect(rest.rows.map((r) => r.subject)).toEqual(['m3', 'm5', 'm6', 'm7']);
  });

  it('stops at LIMIT across folders and pages', async () => {
    const config = makeConfig(await corpusUser());
    const run = await readAll(config, 'ALL LIMIT 4', 3);
    expect(run.rows.map((r) => r.subject)).toEqual([
      'Quarterly numbers',
      'Überweisung erhalten',
      'Invoice 2024-001',
      'Nightly job finished',
    ]);
  });
});

describe('read: incremental state', () => {
  it('returns only mail that arrived since the finished run whose cursor it is given', async () => {
    const user = await corpusUser();
    const config = makeConfig(user);
    const full = await readAll(config, 'ALL', 500);
    expect(full.rows).toHaveLength(TOTAL);
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('New in inbox') }],
      Sent: [{ source: message('New in sent') }],
    });
    const next = await readAll(config, 'ALL', 500, full.cursor);
    expect(next.rows.map((r) => `${r.folder}: ${r.subject}`)).toEqual([
      'INBOX: New in inbox',
      'Sent: New in sent',
    ]);
    const nothing = await read(config, 'ALL', { cursor: next.cursor });
    expect(nothing).toMatchObject({ rows: [], done: true, uidValidityChanged: [] });
  });

  it('reports a UIDVALIDITY change and re-reads that folder, or fails when asked to', async () => {
    const user = await corpusUser();
    const config = makeConfig(user);
    const full = await readAll(config, 'ALL', 500);
    const before = full.rows.find((r) => r.folder === 'Archiv/2024')!;
    // Recreating a folder gives it a new UIDVALIDITY (RFC 3501 section 2.3.1.1).
    await withClient(user, async (client) => {
      await client.mailboxDelete('Archiv/2024');
      await client.mailboxCreate('Archiv/2024');
      await client.append('Archiv/2024', message('Recreated note'));
    });
    const again = await read(config, 'ALL', { cursor: full.cursor });
    expect(again.uidValidityChanged).toEqual([
      {
        folder: 'Archiv/2024',
        previous: before.id.match(/UIDVALIDITY=(\d+)/)![1],
        current: expect.not.stringMatching(
          new RegExp(`^${before.id.match(/UIDVALIDITY=(\d+)/)![1]}$`),
        ),
      },
    ]);
    expect((again.rows as Row[]).map((r) => `${r.folder}: ${r.subject}`)).toEqual([
      'Archiv/2024: Recreated note',
    ]);
    await expect(
      read(config, 'ALL', { cursor: full.cursor, onUidValidityChange: 'fail' }),
    ).rejects.toMatchObject({ code: 'UIDVALIDITY_CHANGED', details: { folder: 'Archiv/2024' } });
  });
});

describe('read: per-folder streams', () => {
  const subjects = (result: { rows: unknown[] }): string[] =>
    (result.rows as { folder: string; subject: string }[]).map((r) => `${r.folder}: ${r.subject}`);

  it('goes on with the folders it knows and reads an added folder from its start', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('Old inbox') }],
      Sent: [{ source: message('Old sent') }],
    });
    const config = makeConfig(user);
    const inboxOnly = await readAll(config, 'ALL FOLDER INBOX', 100);
    expect(subjects(inboxOnly)).toEqual(['INBOX: Old inbox']);
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('New inbox') }] });
    // The query now takes Sent too: INBOX continues, Sent starts at its beginning.
    const both = await readAll(config, 'ALL FOLDER INBOX FOLDER Sent', 100, inboxOnly.cursor);
    expect(subjects(both)).toEqual(['INBOX: New inbox', 'Sent: Old sent']);
    // The same through the config's folder list instead of the query.
    const viaConfig = await readAll(
      { ...config, foldersInclude: ['INBOX', 'Sent', 'Drafts'] },
      'ALL',
      100,
      both.cursor,
    );
    expect(viaConfig.rows).toEqual([]);
  });

  it('keeps a cursor valid across the TLS and the STARTTLS port of one account', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('First') }] });
    const plain = makeConfig(user);
    const tls = makeConfig(user, {
      security: 'tls',
      port: dovecot().imapsPort,
      caFile: dovecot().caFile,
    });
    const first = await readAll(plain, 'ALL', 100);
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Second') }] });
    const second = await readAll(tls, 'ALL', 100, first.cursor);
    expect(subjects(second)).toEqual(['INBOX: Second']);
  });

  it('names the folder whose search changed, and reads it again only when asked to', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [
        { source: message('Seen one'), flags: ['\\Seen'] },
        { source: message('Unseen one') },
      ],
    });
    const config = makeConfig(user);
    const seen = await readAll(config, 'SEEN', 100);
    expect(subjects(seen)).toEqual(['INBOX: Seen one']);
    await expect(read(config, 'ALL', { cursor: seen.cursor })).rejects.toMatchObject({
      code: 'CURSOR_INVALID',
      details: { folders: expect.arrayContaining(['INBOX']) },
    });
    const again = await read(config, 'ALL', { cursor: seen.cursor, restartChangedFolders: true });
    expect(subjects(again)).toEqual(['INBOX: Seen one', 'INBOX: Unseen one']);
    expect(again.restartedFolders).toEqual(expect.arrayContaining(['INBOX']));
    expect(again.warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('INBOX: the search changed')]),
    );
  });

  it('reads only the named streams, and refuses a stream the query does not have', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('In inbox') }],
      Sent: [{ source: message('In sent') }],
    });
    const config = makeConfig(user);
    const sent = await read(config, 'ALL', { streams: ['Sent'] });
    expect(subjects(sent)).toEqual(['Sent: In sent']);
    expect(sent).toMatchObject({ done: true, folders: ['Sent'] });
    // The Sent stream's state does not hold back INBOX, read later from the same cursor.
    const inbox = await read(config, 'ALL', { streams: ['INBOX'], cursor: sent.cursor });
    expect(subjects(inbox)).toEqual(['INBOX: In inbox']);
    const both = await read(config, 'ALL', { cursor: inbox.cursor });
    expect(both.rows).toEqual([]);
    await expect(read(config, 'ALL', { streams: ['Nope'] })).rejects.toMatchObject({
      code: 'FOLDER_NOT_FOUND',
      details: { folder: 'Nope', available: expect.arrayContaining(['INBOX', 'Sent']) },
    });
  });
});

describe('read: cursor checks', () => {
  it('refuses a tampered, foreign or garbage cursor, and one made for another search', async () => {
    const user = await corpusUser();
    const page = await read(makeConfig(user), 'ALL', { pageSize: 2 });
    const decoded = JSON.parse(Buffer.from(page.cursor, 'base64url').toString()) as {
      folders: Record<string, { lastUid: number }>;
    };
    decoded.folders.INBOX!.lastUid = 1;
    const tampered = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    const other = freshUser();
    for (const [cursor, query, config, message] of [
      [tampered, 'ALL', makeConfig(user), /changed after it was issued/],
      [page.cursor, 'SEEN', makeConfig(user), /another search of "INBOX"/],
      [page.cursor, 'ALL', makeConfig(other), /another account/],
      ['not-a-cursor!', 'ALL', makeConfig(user), /does not decode/],
      [page.cursor.slice(0, 40), 'ALL', makeConfig(user), /does not decode|damaged/],
    ] as const) {
      await expect(read(config, query, { cursor })).rejects.toMatchObject({
        code: 'CURSOR_INVALID',
        message: expect.stringMatching(message),
      });
    }
  });
});

/**
 * An INBOX of `count` messages "row 1" .. "row N"; row `at` carries a signature, what a proxy
 * cuts on as a filter resetting connections that carry it would.
 */
async function poisonedInbox(
  prefix: string,
  count: number,
  at: number,
  inSubject = false,
): Promise<{ poisoned: { name: string; password: string }; signature: string }> {
  const poisoned = freshUser(prefix);
  const signature = `SIGNATURE-${randomBytes(4).toString('hex')}`;
  const subject = (n: number): string =>
    n === at && inSubject ? `row ${n} ${signature}` : `row ${n}`;
  await seedMailbox(dovecot(), poisoned, {
    INBOX: Array.from({ length: count }, (_, i) => ({
      source: message(subject(i + 1), {
        body: i + 1 === at && !inSubject ? `It carries ${signature}.` : `${i}`,
      }),
    })),
  });
  return { poisoned, signature };
}

describe('read: faults', () => {
  let proxy: FaultProxy;
  let user: { name: string; password: string };
  const COUNT = 40;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
    user = freshUser('f');
    await seedMailbox(dovecot(), user, {
      INBOX: Array.from({ length: COUNT }, (_, i) => ({
        source: message(`fault ${String(i + 1).padStart(2, '0')}`, {
          body: `${i}`.padEnd(3000, '.'),
        }),
      })),
    });
  });
  afterAll(async () => proxy?.close());

  it('goes on by itself through cut after cut (a new session from the last page), every row once', async () => {
    const config = makeConfig(user, { port: proxy.port, maxQueueDepth: 10, reconnectDelay: 20 });
    // Every session is cut after 60 KB: the stream needs several to finish.
    proxy.set({ kind: 'cut', afterServerBytes: 60_000 });
    const faultsBefore = proxy.faults();
    const seen: string[] = [];
    for await (const row of readStream(config, 'ALL FOLDER INBOX', { select: 'full' }))
      seen.push((row as Row).subject);
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBeGreaterThan(1);
    expect(seen).toEqual(
      Array.from({ length: COUNT }, (_, i) => `fault ${String(i + 1).padStart(2, '0')}`),
    );
  });

  it('a message whose FETCH cuts the connection every time gets its row with MESSAGE_UNAVAILABLE; every other row comes once, in order', async () => {
    const { poisoned, signature } = await poisonedInbox('fp', 12, 7);
    const config = makeConfig(poisoned, { port: proxy.port, maxQueueDepth: 5, reconnectDelay: 20 });
    proxy.set({ kind: 'cutOn', pattern: signature });
    const faultsBefore = proxy.faults();
    const rows: (Row & { error?: { code: string } })[] = [];
    for await (const row of readStream(config, 'ALL FOLDER INBOX', { select: 'text' }))
      rows.push(row as Row & { error?: { code: string } });
    proxy.set({ kind: 'pass' });
    // Cut in its batch, then read alone until the reconnects (3) would be spent.
    expect(proxy.faults() - faultsBefore).toBe(4);
    expect(rows.map((row) => row.uid)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(rows.filter((row) => row.error).map((row) => [row.uid, row.error!.code])).toEqual([
      [7, 'MESSAGE_UNAVAILABLE'],
    ]);
    // Its row has what a FETCH of its envelope gave (that carries no body, so no cut): the
    // operator can find it by its subject.
    expect(rows[6]).toMatchObject({ uid: 7, subject: 'row 7', text: null });
    expect(rows.filter((row) => row.subject?.startsWith('row ')).length).toBe(12);
  });

  it('such a message whose envelope cuts the connection too gets its row with its UID alone, after one more reconnect', async () => {
    const { poisoned, signature } = await poisonedInbox('fs', 6, 3, true);
    const config = makeConfig(poisoned, { port: proxy.port, maxQueueDepth: 3, reconnectDelay: 20 });
    proxy.set({ kind: 'cutOn', pattern: signature });
    const faultsBefore = proxy.faults();
    const rows: (Row & { error?: { code: string } })[] = [];
    try {
      for await (const row of readStream(config, 'ALL FOLDER INBOX', { select: 'envelope' }))
        rows.push(row as Row & { error?: { code: string } });
    } finally {
      proxy.set({ kind: 'pass' });
    }
    // Cut in its batch, three times alone, then once more by its envelope alone.
    expect(proxy.faults() - faultsBefore).toBe(5);
    expect(rows.map((row) => [row.uid, row.error?.code ?? 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'MESSAGE_UNAVAILABLE'],
      [4, 'ok'],
      [5, 'ok'],
      [6, 'ok'],
    ]);
    expect(rows[2]!.subject).toBeFalsy();
  });

  it('a read resumed right before such a message gets its row too, and the rows after it', async () => {
    const { poisoned, signature } = await poisonedInbox('fq', 8, 5);
    const config = makeConfig(poisoned, { port: proxy.port, maxQueueDepth: 4, reconnectDelay: 20 });
    // The first four rows, then the cursor: the next read starts at the poison.
    const first = await read(config, 'ALL FOLDER INBOX', { pageSize: 4 });
    expect(first.rows).toHaveLength(4);
    proxy.set({ kind: 'cutOn', pattern: signature });
    const rows: (Row & { error?: { code: string } })[] = [];
    try {
      for await (const row of readStream(config, 'ALL FOLDER INBOX', {
        select: 'text',
        cursor: first.cursor,
      }))
        rows.push(row as Row & { error?: { code: string } });
    } finally {
      proxy.set({ kind: 'pass' });
    }
    expect(rows.map((row) => [row.uid, row.error?.code ?? 'ok'])).toEqual([
      [5, 'MESSAGE_UNAVAILABLE'],
      [6, 'ok'],
      [7, 'ok'],
      [8, 'ok'],
    ]);
  });

  it('a read resumed right before such a message, the last of its folder, reads an earlier one to prove the connection and gives its row', async () => {
    const { poisoned, signature } = await poisonedInbox('fz', 6, 6);
    const config = makeConfig(poisoned, { port: proxy.port, maxQueueDepth: 3, reconnectDelay: 20 });
    const first = await read(config, 'ALL FOLDER INBOX', { pageSize: 5 });
    expect(first.rows).toHaveLength(5);
    proxy.set({ kind: 'cutOn', pattern: signature });
    const faultsBefore = proxy.faults();
    const sent = commandLog();
    const rows: (Row & { error?: { code: string } })[] = [];
    let cursor: string;
    try {
      const stream = readStream(config, 'ALL FOLDER INBOX', {
        select: 'text',
        cursor: first.cursor,
        logger: sent.logger,
      });
      let step = await stream.next();
      for (; !step.done; step = await stream.next())
        rows.push(step.value as Row & { error?: { code: string } });
      cursor = step.value;
    } finally {
      proxy.set({ kind: 'pass' });
    }
    // Cut alone three times; nothing else was left to read (before, every run failed here).
    expect(proxy.faults() - faultsBefore).toBe(3);
    expect(rows.map((row) => [row.uid, row.error?.code ?? 'ok', row.subject])).toEqual([
      [6, 'MESSAGE_UNAVAILABLE', 'row 6'],
    ]);
    // The proof: message 5, read before, read whole once more after the first cut.
    const proofs = sent.lines.filter((line) => /UID FETCH 5 \(.*BODY\.PEEK\[\]/.test(line));
    expect(proofs).toHaveLength(1);
    // The cursor is past it: the next read has nothing left.
    expect(await read(config, 'ALL FOLDER INBOX', { cursor })).toMatchObject({ rows: [] });
  });

  it('ends with CONNECTION_LOST and the cursor once the reconnects are spent', async () => {
    const config = makeConfig(user, { port: proxy.port, reconnectAttempts: 2, reconnectDelay: 20 });
    proxy.set({ kind: 'cut', afterServerBytes: 2_000 });
    const faultsBefore = proxy.faults();
    const error = await read(config, 'ALL FOLDER INBOX', { pageSize: 40, select: 'full' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: { cursor?: string } },
    );
    proxy.set({ kind: 'pass' });
    expect(error).toMatchObject({
      code: 'CONNECTION_LOST',
      details: { cursor: expect.any(String) },
    });
    // The first session and two more, each cut.
    expect(proxy.faults() - faultsBefore).toBe(3);
  });

  it('ends a stream cut mid-page with CONNECTION_LOST whose cursor resumes without gap or duplicate', async () => {
    const config = makeConfig(user, { port: proxy.port, maxQueueDepth: 10, reconnectAttempts: 0 });
    proxy.set({ kind: 'cut', afterServerBytes: 60_000 });
    const faultsBefore = proxy.faults();
    const seen: string[] = [];
    let resumeFrom: string | undefined;
    try {
      for await (const row of readStream(config, 'ALL FOLDER INBOX', { select: 'full' }))
        seen.push((row as Row).subject);
      throw new Error('expected the cut to fail the stream');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CONNECTION_LOST', retryable: true });
      resumeFrom = (error as { details: { cursor: string } }).details.cursor;
    }
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(COUNT);
    proxy.set({ kind: 'pass' });
    for await (const row of readStream(config, 'ALL FOLDER INBOX', {
      select: 'full',
      cursor: resumeFrom!,
    }))
      seen.push((row as Row).subject);
    expect(seen).toEqual(
      Array.from({ length: COUNT }, (_, i) => `fault ${String(i + 1).padStart(2, '0')}`),
    );
  });

  it('gives read() a resumable error when the page itself is cut', async () => {
    const config = makeConfig(user, { port: proxy.port, reconnectAttempts: 0 });
    const first = await read(config, 'ALL FOLDER INBOX', { pageSize: 5 });
    proxy.set({ kind: 'cut', afterServerBytes: 20_000 });
    const error = await read(config, 'ALL FOLDER INBOX', {
      pageSize: 30,
      select: 'full',
      cursor: first.cursor,
    }).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: { cursor: string } },
    );
    proxy.set({ kind: 'pass' });
    expect(error).toMatchObject({ code: 'CONNECTION_LOST' });
    // Nothing of the failed page was delivered, so its cursor is the one the page started from.
    expect(error!.details.cursor).toBe(first.cursor);
    const rest = await readAll(config, 'ALL FOLDER INBOX', 50, error!.details.cursor);
    expect([...(first.rows as Row[]), ...rest.rows].map((r) => r.subject)).toHaveLength(COUNT);
    expect(new Set([...(first.rows as Row[]), ...rest.rows].map((r) => r.id)).size).toBe(COUNT);
  });

  it('gives a clear timeout, not a hang, when the server goes silent mid-read', async () => {
    const TIMEOUT_MS = 1000;
    const config = makeConfig(user, {
      port: proxy.port,
      timeout: TIMEOUT_MS,
      reconnectAttempts: 0,
    });
    proxy.set({ kind: 'silent', afterServerBytes: 20_000 });
    const started = Date.now();
    const error = await read(config, 'ALL FOLDER INBOX', { pageSize: 40, select: 'full' }).then(
      () => undefined,
      (e: unknown) => e as { code: string; details: { cursor?: string } },
    );
    proxy.set({ kind: 'pass' });
    expect(error).toMatchObject({
      code: 'SOCKET_TIMEOUT',
      details: { cursor: expect.any(String) },
    });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 3);
  });
});

describe('readStream', () => {
  it('holds at most maxQueueDepth messages per page and returns the final cursor', async () => {
    const user = await corpusUser();
    const checkpoints: number[] = [];
    const stream = readStream(makeConfig(user, { maxQueueDepth: 3 }), 'ALL', {
      pageSize: 500,
      onCheckpoint: ({ rows }) => void checkpoints.push(rows),
    });
    const rows: Row[] = [];
    let step = await stream.next();
    while (!step.done) {
      rows.push(step.value as Row);
      step = await stream.next();
    }
    expect(rows).toHaveLength(TOTAL);
    expect(Math.max(...checkpoints)).toBe(3);
    expect(checkpoints.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    const next = await read(makeConfig(user), 'ALL', { cursor: step.value });
    expect(next).toMatchObject({ rows: [], done: true });
  });

  it('searches each folder once per run, not once per page', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: Array.from({ length: 9 }, (_, i) => ({ source: message(`s${i}`) })),
    });
    const sent: string[] = [];
    const log = (entry: Record<string, unknown>): void =>
      void (
        (entry.src === 'imapflow:c' || entry.src === 'connector:c') &&
        sent.push(String(entry.msg))
      );
    const rows: Row[] = [];
    for await (const row of readStream(makeConfig(user, { maxQueueDepth: 2 }), 'ALL FOLDER INBOX', {
      logger: { debug: log, info: log, warn: log, error: log },
    }))
      rows.push(row as Row);
    expect(rows.map((r) => r.subject)).toEqual(Array.from({ length: 9 }, (_, i) => `s${i}`));
    expect(sent.filter((c) => c.includes('UID SEARCH'))).toHaveLength(1);
    expect(sent.filter((c) => c.includes('UID FETCH'))).toHaveLength(5);
  });

  it('asks for the next page while the rows of this one are taken, and no further', async () => {
    const { stream, sent } = await streamInPagesOf3('p', 9);
    const first = await stream.next();
    expect((first.value as Row).subject).toBe('p0');
    // The consumer holds the first row: the second page is fetched meanwhile, the third not.
    await until(() => sent.lines.some((line) => / UID FETCH 4:6 /.test(line)));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent.lines.filter((line) => line.includes('UID FETCH'))).toHaveLength(2);
    const rows = [first.value as Row];
    for await (const row of { [Symbol.asyncIterator]: () => stream }) rows.push(row as Row);
    expect(rows.map((row) => row.subject)).toEqual(Array.from({ length: 9 }, (_, i) => `p${i}`));
  });

  it('ends cleanly when the consumer leaves while the next page is fetched', async () => {
    const { stream, sent } = await streamInPagesOf3('q', 6);
    for await (const row of stream) {
      expect((row as Row).subject).toBe('q0');
      break;
    }
    // The second page's FETCH had its answer before the session logged out.
    const fetch = sent.lines.findIndex((line) => / UID FETCH 4:6 /.test(line));
    const logout = sent.lines.findIndex((line) => line.includes('LOGOUT'));
    expect(fetch).toBeGreaterThan(-1);
    expect(logout).toBeGreaterThan(fetch);
    const tag = sent.lines[fetch]!.split(' ')[0]!;
    const answered = sent.lines.findIndex((line) => line.startsWith(`${tag} OK`));
    expect(answered).toBeGreaterThan(fetch);
    expect(answered).toBeLessThan(logout);
  });

  it('waits the delay between messages', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [1, 2, 3, 4, 5].map((n) => ({ source: message(`d${n}`) })),
    });
    const started = Date.now();
    const result = await read(
      makeConfig(user, { delayBetweenMessages: '1/10' }),
      'ALL FOLDER INBOX',
    );
    expect(result.rows).toHaveLength(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 100);
  });
});

/** A readStream in pages of 3 over an INBOX of `count` messages `${prefix}0`..., its commands noted. */
async function streamInPagesOf3(
  prefix: string,
  count: number,
): Promise<{ stream: AsyncGenerator<unknown, string>; sent: ReturnType<typeof commandLog> }> {
  const user = freshUser();
  await seedMailbox(dovecot(), user, {
    INBOX: Array.from({ length: count }, (_, i) => ({ source: message(`${prefix}${i}`) })),
  });
  const sent = commandLog();
  const stream = readStream(makeConfig(user, { maxQueueDepth: 3 }), 'ALL FOLDER INBOX', {
    logger: sent.logger,
  });
  return { stream, sent };
}

/** The command lines a read sends and the tagged answers to ours, in order. */
function commandLog(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const log = (entry: Record<string, unknown>): void => {
    if (['imapflow:c', 'connector:c', 'connector:s'].includes(String(entry.src)))
      lines.push(String(entry.msg));
  };
  return { lines, logger: { debug: log, info: log, warn: log, error: log } };
}

/** Resolves once `done()` holds; fails the test after 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (const started = Date.now(); !done(); ) {
    if (Date.now() - started > 5000) throw new Error('not within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

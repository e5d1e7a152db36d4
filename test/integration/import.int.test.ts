/**
 * Mailbox-to-mailbox import against the private Dovecot: two users, one the source and one
 * the target, compared message for message (Message-ID, size, a hash of the exact bytes,
 * flags, internal date) and folder for folder.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport, type ImportResult, type ImportSpec } from '../../src/index.js';
import { IMPORT_BATCH_BYTES } from '../../src/import/plan-batches.js';
import { bodiesHashedByIdentify } from '../../src/write/message-identity.js';
import { slabReuses } from '../../src/imap/literal-arena.js';
import { CORPUS, corpusUser, message } from '../helpers/corpus.js';
import { dovecot, freshUser, importTarget, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { commandRecorder } from '../helpers/command-recorder.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOTAL = Object.values(CORPUS).flat().length;
const tempFile = (name: string): string => join(tempDir(), name);

describe('import into another IMAP account', () => {
  it('copies every folder and message with flags and internal dates, then copies nothing on a second run', async () => {
    const source = await corpusUser('is');
    const destination = freshUser('it');
    const state = tempFile('state.db');
    const first: ImportResult = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(first.totals).toMatchObject({ seen: TOTAL, copied: TOTAL, duplicates: 0, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    const inbox = first.folders.find((folder) => folder.folder === 'INBOX')!;
    expect(inbox).toMatchObject({ destination: 'INBOX', copied: CORPUS.INBOX!.length });
    expect(first.totals.bytes).toBeGreaterThan(20000);

    const lines: string[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(String(entry.msg ?? ''));
    };
    const second = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, state) },
      { logger: { debug: log, info: log, warn: log, error: log } },
    );
    expect(second.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
    // Nothing new: one UID SEARCH per source folder, and no FETCH on either side (the target's
    // dedupe index is built only when there is something to look up).
    expect(lines.filter((line) => /UID SEARCH/.test(line)).length).toBeGreaterThan(0);
    expect(lines.filter((line) => /FETCH/.test(line))).toEqual([]);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

describe('dedupe against what the target already holds', () => {
  it('skips a message without Message-ID that is already there (content hash), and keeps two messages that share a Message-ID', async () => {
    const source = await corpusUser('ds');
    const destination = freshUser('dt');
    const noId = CORPUS.INBOX!.find((m) => !String(m.source).includes('Message-ID'))!;
    await seedMailbox(dovecot(), destination, { INBOX: [noId] });
    const result = await runImport(makeConfig(source), {
      destination: importTarget(destination, tempFile('state.db')),
      query: 'ALL FOLDER INBOX',
    });
    expect(result.totals).toMatchObject({
      seen: CORPUS.INBOX!.length,
      copied: CORPUS.INBOX!.length - 1,
      duplicates: 1,
    });
    expect(await snapshot(destination)).toEqual({ INBOX: (await snapshot(source)).INBOX });
  });

  it('hashes only the bodies of messages without a Message-ID, and still skips a look-alike of a message it copied earlier in the run', async () => {
    const source = freshUser('ls');
    const destination = freshUser('lt');
    // A and B differ only in B's missing Message-ID: by content, B is A again.
    const a = message('Look-alike', { id: '<look-alike@example.com>' });
    const b = message('Look-alike', { id: null });
    await seedMailbox(dovecot(), source, {
      INBOX: [a, message('Between them'), b].map((raw) => ({ source: raw })),
    });
    const hashedBefore = bodiesHashedByIdentify();
    const result = await runImport(makeConfig(source, { maxQueueDepth: 1 }), {
      destination: importTarget(destination, tempFile('state.db')),
    });
    // One message per batch: B is checked after A was stored, against A's body at the target.
    expect(result.totals).toMatchObject({ seen: 3, copied: 2, duplicates: 1, failed: 0 });
    expect((await snapshot(destination)).INBOX).toHaveLength(2);
    // The fast path is on: of the source's bodies, only B's (no Message-ID) was hashed.
    expect(bodiesHashedByIdentify() - hashedBefore).toBe(1);
  });

  it('in hash mode, recognises a copy whose Message-ID and trace headers the target server rewrote', async () => {
    const original = message('Rewritten on the way', { id: '<original@example.com>' });
    const rewritten = Buffer.concat([
      Buffer.from('Received: from relay by target; Fri, 19 Jan 2024 10:00:05 +0000\r\n'),
      Buffer.from(
        original.toString().replace('<original@example.com>', '<rewritten@target.example>'),
      ),
    ]);
    const source = freshUser('hs');
    const destination = freshUser('ht');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: original }, { source: message('Really new') }],
    });
    await seedMailbox(dovecot(), destination, { INBOX: [{ source: rewritten }] });
    const byId = await runImport(makeConfig(source), {
      destination: importTarget(destination, tempFile('a.db')),
      dedupe: 'message-id',
      query: 'ALL LIMIT 1',
    });
    expect(byId.totals).toMatchObject({ copied: 1, duplicates: 0 });
    const destination2 = freshUser('ht');
    await seedMailbox(dovecot(), destination2, { INBOX: [{ source: rewritten }] });
    const byHash = await runImport(makeConfig(source), {
      destination: importTarget(destination2, tempFile('b.db')),
      dedupe: 'hash',
    });
    expect(byHash.totals).toMatchObject({ seen: 2, copied: 1, duplicates: 1 });
    expect((await snapshot(destination2)).INBOX).toHaveLength(2);
  });

  it('with dedupe none copies everything again into a fresh state', async () => {
    const source = freshUser('ns');
    const destination = freshUser('nt');
    await seedMailbox(dovecot(), source, { INBOX: [{ source: message('Once') }] });
    await runImport(makeConfig(source), {
      destination: importTarget(destination, tempFile('a.db')),
      dedupe: 'none',
    });
    const again = await runImport(makeConfig(source), {
      destination: importTarget(destination, tempFile('b.db')),
      dedupe: 'none',
    });
    expect(again.totals).toMatchObject({ copied: 1, duplicates: 0 });
    expect((await snapshot(destination)).INBOX).toHaveLength(2);
  });
});

describe('folder mapping', () => {
  it('puts folders under a prefix, applies the mapping table, and keeps non-ASCII names', async () => {
    const source = await corpusUser('ms');
    const destination = freshUser('mt');
    const result = await runImport(makeConfig(source), {
      destination: importTarget(destination, tempFile('state.db')),
      folderPrefix: 'Imported',
      folderMapping: { 'Archiv/2024': 'Old/2024' },
    });
    const mapped = Object.fromEntries(
      result.folders.map((folder) => [folder.folder, folder.destination]),
    );
    expect(mapped).toMatchObject({
      INBOX: 'Imported/INBOX',
      Sent: 'Imported/Sent',
      Überweisungen: 'Imported/Überweisungen',
      'Archiv/2024': 'Old/2024',
    });
    const sourceSnap = await snapshot(source);
    const targetSnap = await snapshot(destination);
    expect(targetSnap['Imported/Überweisungen']).toEqual(sourceSnap['Überweisungen']);
    expect(targetSnap['Old/2024']).toEqual(sourceSnap['Archiv/2024']);
    expect(targetSnap['Imported/INBOX']).toEqual(sourceSnap.INBOX);
    expect(targetSnap.INBOX).toBeUndefined();
  });
});

describe("the source's limits", () => {
  it('honours start/end date, folder include/exclude and the query with LIMIT', async () => {
    const source = await corpusUser('ls');
    const destination = freshUser('lt');
    // INBOX internal dates: 2024-01-15 .. 2024-03-01; Sent 2024-01-15; Archiv/2024 2023-12-31.
    const limited = makeConfig(source, {
      startDate: '2024-01-16',
      endDate: '20240201',
      foldersExclude: ['Sent'],
    });
    const result = await runImport(limited, {
      destination: importTarget(destination, tempFile('state.db')),
    });
    const byFolder = Object.fromEntries(
      result.folders.filter((f) => f.seen > 0).map((f) => [f.folder, f.copied]),
    );
    expect(byFolder).toEqual({ INBOX: 4, Überweisungen: 1 });
    expect(result.folders.map((f) => f.folder)).not.toContain('Sent');

    const capped = await runImport(makeConfig(source), {
      destination: { archive: tempFile('a.archive') },
      query: 'FROM "example" LIMIT 3',
    });
    expect(capped.totals.copied).toBe(3);
  });
});

describe('import batches bounded by bytes', () => {
  // Five messages of 45% of an import batch each: two fit a batch of IMPORT_BATCH_BYTES.
  async function importLarge(
    user: ReturnType<typeof freshUser>,
    destination: ImportSpec['destination'],
  ): Promise<{ result: ImportResult; sourceFetches: string[] }> {
    const size = Math.floor(IMPORT_BATCH_BYTES * 0.45);
    const messages = [0, 1, 2, 3, 4].map((i) => ({
      source: message(`Large ${i}`, { body: `${String(i).repeat(size)}\r\n` }),
    }));
    await seedMailbox(dovecot(), user, { INBOX: messages });
    const log = commandRecorder();
    const result = await runImport(makeConfig(user), { destination }, { logger: log.logger });
    const sourceFetches = log
      .sent()
      .filter((line) => line.startsWith('UID FETCH') && line.includes('BODY.PEEK[]'));
    return { result, sourceFetches };
  }

  it('reads large messages a few at a time (IMPORT_BATCH_BYTES per batch) and copies them exactly, when batches are read whole', async () => {
    const source = freshUser('bs');
    const destination = freshUser('bt');
    // The pipe holds no message (piped-import.int.test.ts): batches are read whole without it.
    process.env.IMAP_CONNECTOR_PIPE = 'off';
    try {
      const { result, sourceFetches } = await importLarge(
        source,
        importTarget(destination, tempFile('state.db')),
      );
      expect(result.totals).toMatchObject({ seen: 5, copied: 5, failed: 0 });
      expect(await snapshot(destination)).toEqual(await snapshot(source));
      expect(sourceFetches).toHaveLength(3);
    } finally {
      delete process.env.IMAP_CONNECTOR_PIPE;
    }
  });

  it('through the pipe, reads them in one FETCH whose bodies go straight into the destination', async () => {
    const source = freshUser('bp');
    const destination = freshUser('bq');
    const { result, sourceFetches } = await importLarge(
      source,
      importTarget(destination, tempFile('state.db')),
    );
    expect(result.totals).toMatchObject({ seen: 5, copied: 5, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    expect(sourceFetches).toEqual(['UID FETCH 1:5 (UID BODY.PEEK[])']);
  });

  it('reads the same messages into the archive in one batch (its own 16 MB budget)', async () => {
    const { result, sourceFetches } = await importLarge(freshUser('bsa'), {
      archive: tempFile('bsa.archive'),
    });
    expect(result.totals).toMatchObject({ seen: 5, copied: 5, failed: 0 });
    expect(sourceFetches).toHaveLength(1);
  });
});

describe("a batch's last APPEND step in flight while the next batch is prepared", () => {
  it("copies exactly what is missing while look-alikes' bodies are read at the target between batches", async () => {
    const source = freshUser('cs');
    const destination = freshUser('cd');
    // No Message-ID: each batch asks the target for the bodies of messages with the same
    // Date, From, To, Cc and Subject, while the step of the batch before is in flight (the
    // read waits for it; Dovecot answering in order made it pass without the wait too).
    // Bodies of 1.5 MB: two messages per batch, and an APPEND long enough to be in flight.
    const mail = (i: number, body: string): { source: Buffer } => ({
      source: message(`Carry ${i}`, { id: null, body: `${body}\r\n${'x'.repeat(1_500_000)}` }),
    });
    const sourceMail = Array.from({ length: 10 }, (_, i) => mail(i, `Body ${i}`));
    await seedMailbox(dovecot(), source, { INBOX: sourceMail });
    await seedMailbox(dovecot(), destination, {
      // Even: the same message (a duplicate); odd: the same headers, another body.
      INBOX: Array.from({ length: 10 }, (_, i) => mail(i, i % 2 === 0 ? `Body ${i}` : 'Other')),
    });
    const log = commandRecorder();
    const reusedBefore = slabReuses();
    const result = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, tempFile('carry.db')) },
      { logger: log.logger },
    );
    expect(result.totals).toMatchObject({ seen: 10, copied: 5, duplicates: 5, failed: 0 });
    // Batches 3 and 4 were read into the memory of batches 0 and 1 (imap/literal-arena.ts),
    // overwritten when released (the suite poisons it): the byte checks below would see a
    // source read after its release.
    expect(slabReuses() - reusedBefore).toBeGreaterThanOrEqual(2);
    const held = (await snapshot(destination)).INBOX!;
    expect(held).toHaveLength(15);
    // Every source message is there exactly once: the even ones as they were, the odd ones copied.
    const sha256 = (raw: Buffer): string => createHash('sha256').update(raw).digest('hex');
    for (const { source: raw } of sourceMail)
      expect(held.filter((m) => m.sha256 === sha256(raw))).toHaveLength(1);
    // Five batches of two: the target's bodies were read in more than one FETCH.
    const bodyReads = log.sent().filter((line) => /BODY\.PEEK\[TEXT\]/i.test(line));
    expect(bodyReads.length).toBeGreaterThan(1);
  });
});

describe('replace mode', () => {
  it('empties the folders it writes once (not others), and a run stopped midway goes on without removing again or copying twice', async () => {
    const source = freshUser('rs');
    const destination = freshUser('rd');
    const inbox = Array.from({ length: 30 }, (_, i) => ({ source: message(`Replace ${i}`) }));
    await seedMailbox(dovecot(), source, { INBOX: inbox, Sent: [{ source: message('Sent 1') }] });
    await seedMailbox(dovecot(), destination, {
      INBOX: [{ source: message('Old inbox 1') }, { source: message('Old inbox 2') }],
      Sent: [{ source: message('Old sent') }],
      Keep: [{ source: message('Not written by the import') }],
    });
    const keep = (await snapshot(destination)).Keep;
    const state = tempFile('replace.db');
    const spec = { destination: importTarget(destination, state), replace: true };
    // Stop once 10 messages are copied: the destination holds part of the source, nothing old.
    const stop = new AbortController();
    const first = await runImport(makeConfig(source, { maxQueueDepth: 5 }), spec, {
      signal: stop.signal,
      onProgress: (folder) => {
        if (folder.copied >= 10) stop.abort();
      },
    }).catch((error: { code: string; details?: { result?: ImportResult } }) => error);
    expect(first).toMatchObject({ code: 'ABORTED' });
    const partial = (first as { details: { result: ImportResult } }).details.result;
    expect(partial.totals.destinationRemoved).toBe(3);
    const midway = await snapshot(destination);
    expect(midway.INBOX!.length).toBeGreaterThanOrEqual(10);
    expect(midway.INBOX!.length).toBeLessThan(30);
    // Mail that reaches the new mailbox meanwhile is the user's: no later run removes it.
    await seedMailbox(dovecot(), destination, {
      INBOX: [{ source: message('Arrived at the new host') }],
    });
    const second = await runImport(makeConfig(source), spec);
    expect(second.totals.destinationRemoved).toBeUndefined();
    const after = await snapshot(destination);
    const sourceNow = await snapshot(source);
    expect(after.Keep).toEqual(keep);
    expect(after.Sent).toEqual(sourceNow.Sent);
    const arrived = after.INBOX!.filter(
      (m) => !sourceNow.INBOX!.some((s) => s.sha256 === m.sha256),
    );
    expect(arrived).toHaveLength(1);
    expect(after.INBOX!.length).toBe(31);
    const third = await runImport(makeConfig(source), spec);
    expect(third.totals).toMatchObject({ copied: 0 });
    expect((await snapshot(destination)).INBOX!.length).toBe(31);
  });

  it('empties nothing for a job that ran before without it: the mail it copied may be gone from the source', async () => {
    const source = freshUser('rp');
    const destination = freshUser('rq');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Moved one') }, { source: message('Moved two') }],
    });
    const state = tempFile('replace-after.db');
    // The first run moves the mail: copied, then deleted at the source.
    const first = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      postReadAction: { type: 'delete' },
    });
    expect(first.totals).toMatchObject({ copied: 2 });
    expect((await snapshot(source)).INBOX ?? []).toEqual([]);
    const moved = (await snapshot(destination)).INBOX;
    expect(moved).toHaveLength(2);
    // The same job again, now with replace: emptying would lose both for good.
    const second = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      replace: true,
    });
    expect(second.totals.destinationRemoved).toBeUndefined();
    expect(second.replaceSkipped).toMatch(/ran before/);
    expect((await snapshot(destination)).INBOX).toEqual(moved);
  });

  it('is refused for the archive, before any connection', async () => {
    const source = freshUser('ra');
    await expect(
      runImport(makeConfig(source), {
        destination: { archive: tempFile('r.archive') },
        replace: true,
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/replace' });
  });
});

/**
 * Messages larger than a read batch stream from the source into the destination's APPEND
 * (issue 30, item 1), against the private Dovecot: read 1 MB at a time with partial FETCHes,
 * written as they arrive, stored byte for byte; a message that cannot be known from its first
 * chunk is read whole; a source cut midway leaves nothing partial at the destination, and the
 * next run (or the run's own reconnect) ends with exactly the source's messages.
 *
 * This is the path of imports that cannot pipe (piped-import.int.test.ts covers the pipe):
 * those with a post-read action or a delay between messages. The pipe is switched off here
 * (IMAP_CONNECTOR_PIPE=off) so that every import of this file takes it.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport, type ImportResult } from '../../src/index.js';
import { streamedAppendsSoFar } from '../../src/imap/append-stream.js';
import { STREAM_CHUNK_BYTES } from '../../src/imap/streamed-body.js';
import { expandUidSet } from '../../src/imap/uid-set.js';
import { commandRecorder } from '../helpers/command-recorder.js';
import { message } from '../helpers/corpus.js';
import { expungingLogger, largeMessage } from '../helpers/large-messages.js';
import { addDovecotUsers } from '../helpers/dovecot.js';
import { expectImportFailure } from '../helpers/import-failure.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, importTarget, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const MB = 1024 * 1024;

beforeAll(() => {
  process.env.IMAP_CONNECTOR_PIPE = 'off';
});
afterAll(() => {
  delete process.env.IMAP_CONNECTOR_PIPE;
});

/** The UIDs each whole-message FETCH asked for, and the lengths of the partial ones. */
function sourceReads(sent: string[]): { whole: number[]; partialLengths: number[] } {
  const whole: number[] = [];
  const partialLengths: number[] = [];
  for (const line of sent) {
    const fetch = /^UID FETCH (\S+) \(.*BODY\.PEEK\[\](<\d+\.(\d+)>)?\)$/.exec(line);
    if (!fetch) continue;
    if (fetch[2]) partialLengths.push(Number(fetch[3]));
    else whole.push(...expandUidSet(fetch[1]!));
  }
  return { whole, partialLengths };
}

describe('messages larger than a read batch, streamed into the destination', () => {
  it('are copied byte for byte with their flags and dates, read 1 MB at a time and written as they arrive; a message without a Message-ID is read whole', async () => {
    const source = freshUser('ss');
    const destination = freshUser('st');
    const date = new Date(Date.UTC(2023, 4, 6, 7, 8, 9));
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Small a') },
        {
          source: largeMessage('Large one', 5.5),
          flags: ['\\Seen', '\\Flagged'],
          internalDate: date,
        },
        { source: message('Small b') },
        // A NUL byte 6 MB in, long after the first chunk: Dovecot takes it in a literal.
        { source: largeMessage('Large two', 9.2, { nulAt: 6 * MB }) },
        { source: largeMessage('Large, no Message-ID', 4.5, { id: null }) },
        { source: message('Small c') },
      ],
    });
    const state = join(tempDir(), 'state.db');
    const log = commandRecorder();
    const streamedBefore = streamedAppendsSoFar();
    const first: ImportResult = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, state) },
      { logger: log.logger },
    );
    expect(first.totals).toMatchObject({ seen: 6, copied: 6, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    // UIDs 2 and 4 streamed; 5 (no Message-ID) was read whole, as were the small ones.
    expect(streamedAppendsSoFar() - streamedBefore).toBe(2);
    const reads = sourceReads(log.sent());
    expect(reads.whole.sort()).toEqual([1, 3, 5, 6]);
    // Head, size check and the rest of two messages of 5.5 and 9.2 MB (plus the no-ID one's head).
    expect(reads.partialLengths.length).toBeGreaterThanOrEqual(2 + 5 + 2 + 9);
    expect(Math.max(...reads.partialLengths)).toBe(STREAM_CHUNK_BYTES);

    // Dedupe by the Message-ID read from the first chunk finds them at the destination.
    const second = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(second.totals).toMatchObject({ seen: 0, copied: 0 });
    const fresh = await runImport(makeConfig(source), {
      destination: importTarget(destination, join(tempDir(), 'other-state.db')),
    });
    expect(fresh.totals).toMatchObject({ seen: 6, copied: 0, duplicates: 6 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('a message the destination refuses (over its size limit) fails alone and the rest is copied', async () => {
    const source = freshUser('sr');
    const destination = {
      name: `srt${randomBytes(4).toString('hex')}`,
      password: `pw-${randomBytes(6).toString('hex')}`,
    };
    addDovecotUsers(dovecot(), [{ ...destination, maxMailSize: '5M' }]);
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Before') },
        { source: largeMessage('Too large', 6) },
        { source: message('After') },
      ],
    });
    const log = commandRecorder();
    const result = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, join(tempDir(), 'state.db')) },
      { logger: log.logger },
    );
    expect(result.totals).toMatchObject({ seen: 3, copied: 2, failed: 1 });
    // Refused as too large while it streamed: not read again (whole) to be refused once more.
    const offsets = log
      .sent()
      .flatMap((line) => /^UID FETCH 2 \(.*BODY\.PEEK\[\]<(\d+)\.\d+>/.exec(line)?.[1] ?? []);
    expect(offsets.length).toBeGreaterThan(5);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(sourceReads(log.sent()).whole).not.toContain(2);
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 2, code: 'MESSAGE_TOO_LARGE' }),
    ]);
    const stored = (await snapshot(destination)).INBOX!.map((m) => m.messageId).sort();
    expect(stored).toEqual(['<After@example.com>', '<Before@example.com>']);
  });
});

describe('a fault while a message streams: a connection cut, a range refused', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });

  async function seeded(prefix: string): Promise<{
    source: { name: string; password: string };
    destination: { name: string; password: string };
  }> {
    const source = freshUser(`${prefix}s`);
    const destination = freshUser(`${prefix}t`);
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('First') },
        { source: message('Second') },
        { source: largeMessage('Streamed', 5.5) },
        { source: message('Third') },
      ],
    });
    return { source, destination };
  }

  // 2.5 MB of the source's answers: the first chunk, the size check and half of the next chunk.
  const CUT = { kind: 'cut' as const, afterServerBytes: 2.5 * MB, connections: 1 };

  it('on the source side, with reconnects off: CONNECTION_LOST from the source, nothing partial stored, and the next run copies the rest exactly', async () => {
    const { source, destination } = await seeded('sc');
    const state = join(tempDir(), 'state.db');
    proxy.set(CUT);
    const through = { server: dovecot().host, port: proxy.port };
    const faultsBefore = proxy.faults();
    const failure = await expectImportFailure(
      runImport(makeConfig(source, { reconnectAttempts: 0, ...through }), {
        destination: importTarget(destination, state),
      }),
    );
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(failure.code).toBe('CONNECTION_LOST');
    expect(failure.details).not.toMatchObject({ side: 'destination' });
    // Only whole messages at the destination: the two before the cut, not a part of the third.
    const before = (await snapshot(destination)).INBOX!;
    const sourceSums = new Set((await snapshot(source)).INBOX!.map((m) => m.sha256));
    expect(before.map((m) => m.messageId).sort()).toEqual([
      '<First@example.com>',
      '<Second@example.com>',
    ]);
    expect(before.every((m) => sourceSums.has(m.sha256))).toBe(true);

    const resumed = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(resumed.totals).toMatchObject({ failed: 0, copied: 2 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('on the source side, with reconnects on: the run reconnects by itself and ends with exactly the source messages', async () => {
    const { source, destination } = await seeded('sr2');
    proxy.set(CUT);
    const through = { server: dovecot().host, port: proxy.port };
    const faultsBefore = proxy.faults();
    const streamedBefore = streamedAppendsSoFar();
    const result = await runImport(makeConfig(source, { reconnectDelay: 20, ...through }), {
      destination: importTarget(destination, join(tempDir(), 'state.db')),
    });
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(result.totals).toMatchObject({ failed: 0 });
    expect(result.totals.copied + result.folders[0]!.recovered).toBe(4);
    // Cut the first time, streamed whole the second.
    expect(streamedAppendsSoFar() - streamedBefore).toBe(1);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  // Dovecot cannot be made to refuse one range of a message, so the proxy rewrites the FETCH
  // of it into one Dovecot answers BAD (a section that does not exist): the source refuses
  // that read, as a server does for a message it cannot read to its end.
  const refused = (whole: boolean) => ({
    kind: 'rewrite' as const,
    command: (line: string) =>
      line.replace(
        whole
          ? /^(\S+ UID FETCH 3) \(.*BODY\.PEEK\[\](<2097152\.\d+>)?\)$/
          : /^(\S+ UID FETCH 3) \(UID BODY\.PEEK\[\]<2097152\.\d+>\)$/,
        '$1 (UID BODY.PEEK[NOSUCHSECTION])',
      ),
  });

  it('a range the source refuses: the message is read whole on the reconnect, not streamed again, and copied exactly', async () => {
    const { source, destination } = await seeded('mr');
    proxy.set(refused(false));
    const through = { server: dovecot().host, port: proxy.port };
    const log = commandRecorder();
    const streamedBefore = streamedAppendsSoFar();
    const result = await runImport(
      makeConfig(source, { reconnectDelay: 20, ...through }),
      { destination: importTarget(destination, join(tempDir(), 'state.db')) },
      { logger: log.logger },
    );
    proxy.set({ kind: 'pass' });
    expect(result.totals).toMatchObject({ failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    expect(streamedAppendsSoFar() - streamedBefore).toBe(0);
    const starts = log.sent().filter((line) => /^UID FETCH 3 \(.*BODY\.PEEK\[\]<0\./.test(line));
    expect(starts).toHaveLength(1);
    expect(sourceReads(log.sent()).whole.filter((uid) => uid === 3)).toHaveLength(1);
  });

  it('a range the source refuses, with reconnects off: the run fails at the source, and the next run reads the message whole and copies it', async () => {
    const { source, destination } = await seeded('mo');
    const state = join(tempDir(), 'state.db');
    proxy.set(refused(false));
    const through = { server: dovecot().host, port: proxy.port };
    const config = makeConfig(source, { reconnectAttempts: 0, ...through });
    const failure = await expectImportFailure(
      runImport(config, { destination: importTarget(destination, state) }),
    );
    expect(failure.code).toBe('CONNECTION_LOST');
    expect(failure.details).not.toMatchObject({ side: 'destination' });
    // Still refused: the next run does not stream it, so the refusal is not met again.
    const log = commandRecorder();
    const next = await runImport(
      config,
      { destination: importTarget(destination, state) },
      { logger: log.logger },
    );
    proxy.set({ kind: 'pass' });
    expect(next.totals).toMatchObject({ failed: 0, copied: 2 });
    // Read whole (after the rest: it is listed for breaking off the connection's stream).
    expect(sourceReads(log.sent()).whole).toEqual([4, 3]);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('a message the source will not give at all, streamed or whole: it fails alone and the rest is copied', async () => {
    const { source, destination } = await seeded('mw');
    proxy.set(refused(true));
    const through = { server: dovecot().host, port: proxy.port };
    const result = await runImport(makeConfig(source, { reconnectDelay: 20, ...through }), {
      destination: importTarget(destination, join(tempDir(), 'state.db')),
    });
    proxy.set({ kind: 'pass' });
    expect(result.totals).toMatchObject({ seen: 4, copied: 3, failed: 1 });
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 3, code: 'MESSAGE_UNAVAILABLE' }),
    ]);
    const stored = (await snapshot(destination)).INBOX!.map((m) => m.messageId).sort();
    expect(stored).toEqual(['<First@example.com>', '<Second@example.com>', '<Third@example.com>']);
  });

  it('on the destination side: nothing of it stored, the source no longer read for it, and the run reconnects and ends with exactly the source', async () => {
    const source = freshUser('dc');
    const destination = freshUser('dd');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Before') }, { source: largeMessage('Cut off', 9.2) }],
    });
    // The destination's connections are cut (through the proxy) just before the read at
    // 2 MB is sent: the APPEND's literal is then a third written.
    let cut = false;
    const reads: number[] = [];
    const onEntry = (entry: { msg?: unknown }): void => {
      const read = /^\S+ UID FETCH 2 \(.*BODY\.PEEK\[\]<(\d+)\.(\d+)>/.exec(String(entry.msg));
      if (!read || read[2] === '2') return; // not the 2-byte size check
      reads.push(Number(read[1]));
      if (cut || read[1] !== String(2 * MB)) return;
      cut = true;
      proxy.outage(0);
    };
    const logger = { debug: onEntry, info: onEntry, warn: onEntry, error: onEntry };
    const through = { server: dovecot().host, port: proxy.port };
    const result = await runImport(
      makeConfig(source, { reconnectDelay: 20 }),
      { destination: importTarget(destination, join(tempDir(), 'state.db'), through) },
      { logger },
    );
    expect(cut).toBe(true);
    expect(result.totals).toMatchObject({ failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    // The first attempt read no further than a chunk or two past the cut: the source is not
    // read for a destination that is gone. The second read the message from its start.
    const again = reads.indexOf(0, 1);
    expect(again).toBeGreaterThan(0);
    expect(Math.max(...reads.slice(0, again))).toBeLessThanOrEqual(4 * MB);
    expect(Math.max(...reads.slice(again))).toBe(9 * MB);
  });
});

describe('an abort (Ctrl-C) while a message streams', () => {
  it('stops with ABORTED, stores nothing of that message, and the next run copies it', async () => {
    const source = freshUser('ab');
    const destination = freshUser('ac');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Kept') }, { source: largeMessage('Interrupted', 9.2) }],
    });
    const state = join(tempDir(), 'state.db');
    const controller = new AbortController();
    const onEntry = (entry: { msg?: unknown }): void => {
      if (/^\S+ UID FETCH 2 \(UID BODY\.PEEK\[\]<2097152\./.test(String(entry.msg)))
        controller.abort();
    };
    const logger = { debug: onEntry, info: onEntry, warn: onEntry, error: onEntry };
    const streamedBefore = streamedAppendsSoFar();
    const failure = await expectImportFailure(
      runImport(
        makeConfig(source),
        { destination: importTarget(destination, state) },
        { signal: controller.signal, logger },
      ),
    );
    expect(failure.code).toBe('ABORTED');
    // Not let finish as a MULTIAPPEND of held messages is: its literal is cut off (the rest of
    // a message of any size would have to be read first), so the destination drops it.
    expect(streamedAppendsSoFar() - streamedBefore).toBe(0);
    const stored = (await snapshot(destination)).INBOX!.map((m) => m.messageId);
    expect(stored).toEqual(['<Kept@example.com>']);
    const resumed = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(resumed.totals).toMatchObject({ failed: 0, copied: 1 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

describe('a message expunged at the source while it streams', () => {
  it('leaves nothing partial: the run reconnects and ends with exactly what the source still holds', async () => {
    const source = freshUser('sx');
    const destination = freshUser('sy');
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('First') },
        { source: largeMessage('Vanishing', 5.5) },
        { source: message('Last') },
      ],
    });
    // The test's own client expunges UID 2 before the read at 2 MB is sent. It runs as a
    // child process, synchronously, so the import waits for it: the race is made, not hoped for.
    const { logger, expunged } = expungingLogger(
      source,
      2,
      /^\S+ UID FETCH 2 \(UID BODY\.PEEK\[\]<2097152\./,
    );
    const streamedBefore = streamedAppendsSoFar();
    const result = await runImport(
      makeConfig(source, { reconnectDelay: 20 }),
      { destination: importTarget(destination, join(tempDir(), 'state.db')) },
      { logger },
    );
    expect(expunged()).toBe(true);
    expect(result.totals.failed).toBe(0);
    // Dovecot stops serving it at once: the stream broke off, the destination's connection was
    // reset (nothing of it stored), and the run's reconnect found it gone from the source.
    expect(streamedAppendsSoFar() - streamedBefore).toBe(0);
    const now = (await snapshot(source)).INBOX!;
    expect(now.map((m) => m.messageId).sort()).toEqual([
      '<First@example.com>',
      '<Last@example.com>',
    ]);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

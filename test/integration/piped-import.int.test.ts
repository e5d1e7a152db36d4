/**
 * The pipe (issue 30, item 1), against the private Dovecot: a batch's headers first, then one
 * FETCH of its bodies written into the destination's MULTIAPPEND as they arrive. Byte for byte,
 * flags and dates kept, nothing held whole; what the pipe cannot take is read whole; a fault
 * on either side, an abort or an expunge midway leaves only whole messages at the destination,
 * and the run's reconnect or the next run ends with exactly the source's messages.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/index.js';
import { streamedAppendsSoFar } from '../../src/imap/append-stream.js';
import { ringUseSoFar } from '../../src/imap/byte-ring.js';
import { pipedMessagesSoFar } from '../../src/imap/pipe-appends.js';
import { youngCollectionsSoFar } from '../../src/young-collections.js';
import { expandUidSet } from '../../src/imap/uid-set.js';
import { commandRecorder } from '../helpers/command-recorder.js';
import { message } from '../helpers/corpus.js';
import { expungingLogger, largeMessage } from '../helpers/large-messages.js';
import { addDovecotUsers } from '../helpers/dovecot.js';
import { expectImportFailure, type ImportFailure } from '../helpers/import-failure.js';
import { startFaultProxy, type FaultMode, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, importTarget, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const MB = 1024 * 1024;
type User = { name: string; password: string };

/** The source FETCHes that read bodies: the pipe's, and those of whole messages (by UID). */
function bodyReads(sent: string[]): { piped: number[][]; whole: number[]; partial: number } {
  const piped: number[][] = [];
  const whole: number[] = [];
  let partial = 0;
  for (const line of sent) {
    const fetch = /^UID FETCH (\S+) \((.*)\)$/.exec(line);
    if (!fetch || !fetch[2]!.includes('BODY.PEEK[]')) continue;
    if (fetch[2] === 'UID BODY.PEEK[]') piped.push(expandUidSet(fetch[1]!));
    else if (/BODY\.PEEK\[\]</.test(fetch[2]!)) partial++;
    else whole.push(...expandUidSet(fetch[1]!));
  }
  return { piped, whole, partial };
}

/** Every message at the destination is one of the source's, whole, and none twice. */
async function onlyWholeCopies(source: User, destination: User): Promise<string[]> {
  const sums = new Set((await snapshot(source)).INBOX!.map((m) => m.sha256));
  const held = (await snapshot(destination)).INBOX ?? [];
  expect(held.every((m) => sums.has(m.sha256))).toBe(true);
  expect(new Set(held.map((m) => m.sha256)).size).toBe(held.length);
  return held.map((m) => m.messageId ?? '').sort();
}

describe('the pipe: bodies from the source FETCH straight into the MULTIAPPEND', () => {
  it('copies byte for byte with flags and dates in one FETCH of bodies, no partial reads; a message without a Message-ID is read whole', async () => {
    const source = freshUser('ps');
    const destination = freshUser('pt');
    const date = new Date(Date.UTC(2023, 4, 6, 7, 8, 9));
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Small a'), flags: ['\\Answered'] },
        {
          source: largeMessage('Large one', 5.5),
          flags: ['\\Seen', '\\Flagged'],
          internalDate: date,
        },
        { source: message('Small b') },
        { source: largeMessage('Large, no Message-ID', 4.5, { id: null }) },
        { source: largeMessage('Large two', 9.2) },
        { source: message('Small c'), flags: ['$Label1'] },
      ],
    });
    const state = join(tempDir(), 'state.db');
    const log = commandRecorder();
    const pipedBefore = pipedMessagesSoFar();
    const streamedBefore = streamedAppendsSoFar();
    const ringBefore = ringUseSoFar();
    const countedBefore = youngCollectionsSoFar();
    const first = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, state) },
      { logger: log.logger },
    );
    expect(first.totals).toMatchObject({ seen: 6, copied: 6, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    expect(pipedMessagesSoFar() - pipedBefore).toBe(5);
    // The bodies (15 MB of them) went through the ring, every socket read: none kept as it was.
    const ring = ringUseSoFar();
    expect(ring.copies - ringBefore.copies).toBeGreaterThan(200);
    expect(ring.misses - ringBefore.misses).toBe(0);
    // Every byte read counts toward the young collections a CLI's lean heap paces by them; this
    // process never armed them, so none was asked for.
    const counted = youngCollectionsSoFar();
    expect(counted.bytesCounted - countedBefore.bytesCounted).toBeGreaterThan(15 * MB);
    expect(counted.collections).toBe(0);
    const reads = bodyReads(log.sent());
    expect(reads.piped).toEqual([[1, 2, 3, 5, 6]]);
    // The message without a Message-ID: read whole (and, at 4.5 MB, streamed the older way).
    expect(streamedAppendsSoFar() - streamedBefore + reads.whole.length).toBeGreaterThan(0);
    expect(log.sent().filter((line) => line.includes('BODY.PEEK[HEADER]'))).toHaveLength(1);

    // The second run finds nothing new; a fresh state finds every message at the destination
    // by the keys read from the headers alone.
    const second = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(second.totals).toMatchObject({ seen: 0, copied: 0 });
    const freshLog = commandRecorder();
    const fresh = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, join(tempDir(), 'other.db')) },
      { logger: freshLog.logger },
    );
    expect(fresh.totals).toMatchObject({ seen: 6, copied: 0, duplicates: 6 });
    // Duplicates known from their headers: no body of those is read at all.
    expect(bodyReads(freshLog.sent()).piped).toEqual([]);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('a command the destination refuses (a message over its size limit) is copied again the other way: that message fails alone', async () => {
    const source = freshUser('pr');
    const destination = { name: `prt${randomBytes(4).toString('hex')}`, password: 'pw-refuse' };
    addDovecotUsers(dovecot(), [{ ...destination, maxMailSize: '5M' }]);
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Before') },
        { source: largeMessage('Too large', 6) },
        { source: message('After') },
      ],
    });
    const result = await runImport(makeConfig(source), {
      destination: importTarget(destination, join(tempDir(), 'state.db')),
    });
    expect(result.totals).toMatchObject({ seen: 3, copied: 2, failed: 1 });
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 2, code: 'MESSAGE_TOO_LARGE' }),
    ]);
    expect(await onlyWholeCopies(source, destination)).toEqual([
      '<After@example.com>',
      '<Before@example.com>',
    ]);
  });
});

describe('the pipe with a post-read action', () => {
  it('moves each batch once the destination confirmed it, during the next batch: bodies piped, the message without a Message-ID read whole and moved too', async () => {
    const source = freshUser('pm');
    const destination = freshUser('pn');
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('One'), flags: ['\\Answered'] },
        { source: largeMessage('Two, large', 4.5) },
        { source: message('Three, no Message-ID', { id: null }) },
        { source: message('Four'), flags: ['\\Flagged'] },
        { source: message('Five') },
      ],
    });
    const original = await snapshot(source);
    const log = commandRecorder();
    const pipedBefore = pipedMessagesSoFar();
    const result = await runImport(
      makeConfig(source, { maxQueueDepth: 2 }),
      {
        destination: importTarget(destination, join(tempDir(), 'state.db')),
        postReadAction: { type: 'move', folder: 'Done' },
      },
      { logger: log.logger },
    );
    expect(result.totals).toMatchObject({ seen: 5, copied: 5, failed: 0 });
    expect(pipedMessagesSoFar() - pipedBefore).toBe(4);
    // The copies are the messages as they were, flags included; the source moved every one.
    expect((await snapshot(destination)).INBOX).toEqual(original.INBOX);
    const after = await snapshot(source);
    expect(after.INBOX ?? []).toEqual([]);
    expect(after.Done!.map((m) => m.sha256).sort()).toEqual(
      original.INBOX!.map((m) => m.sha256).sort(),
    );
    // A batch is moved once the destination confirmed it and the source is free: after the
    // next batch's bodies were piped (the last one after the pipe); the message read whole
    // after its own read. Never before its own bodies went through.
    const steps = log
      .sent()
      .map((line) =>
        /^UID FETCH (\S+) \(UID BODY\.PEEK\[\]\)$/.exec(line)
          ? `pipe ${/^UID FETCH (\S+)/.exec(line)![1]}`
          : /BODY\.PEEK\[HEADER\]/.test(line)
            ? 'heads'
            : /^UID MOVE (\S+) /.exec(line)
              ? `move ${/^UID MOVE (\S+) /.exec(line)![1]}`
              : /^UID FETCH (\S+) \(.*BODY\.PEEK\[\]/.test(line)
                ? `whole ${/^UID FETCH (\S+)/.exec(line)![1]}`
                : undefined,
      )
      .filter((step) => step !== undefined);
    expect(steps).toEqual([
      'heads',
      'pipe 1:2',
      'heads',
      'pipe 4',
      'move 1:2',
      'heads',
      'pipe 5',
      'move 4',
      'move 5',
      'whole 3',
      'move 3',
    ]);
  });
});

describe('a fault while the pipe runs', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });
  const through = (): { server: string; port: number } => ({
    server: dovecot().host,
    port: proxy.port,
  });

  async function seeded(prefix: string): Promise<{ source: User; destination: User }> {
    const source = freshUser(`${prefix}s`);
    const destination = freshUser(`${prefix}t`);
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('First') },
        { source: message('Second') },
        { source: largeMessage('Large', 9.2) },
        { source: message('Third') },
      ],
    });
    return { source, destination };
  }

  /**
   * One import through `fault` at the source with reconnects off, then one without: the first
   * fails on the source's side having stored only whole messages, and the second ends with
   * exactly the source's. Returns the first one's failure.
   */
  async function sourceFaultThenResume(
    prefix: string,
    fault: FaultMode,
    overrides: Record<string, unknown> = {},
  ): Promise<ImportFailure> {
    const { source, destination } = await seeded(prefix);
    const state = join(tempDir(), 'state.db');
    proxy.set(fault);
    const faultsBefore = proxy.faults();
    const failure = await expectImportFailure(
      runImport(makeConfig(source, { reconnectAttempts: 0, ...overrides, ...through() }), {
        destination: importTarget(destination, state),
      }),
    );
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(failure.details).not.toMatchObject({ side: 'destination' });
    // The MULTIAPPEND that was cut off stored nothing, not a part of the large message.
    expect(await onlyWholeCopies(source, destination)).not.toContain('<Large@example.com>');
    const resumed = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(resumed.totals.failed).toBe(0);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    return failure;
  }

  it('the source cut mid-body, reconnects off: CONNECTION_LOST from the source, only whole messages stored, and the next run copies exactly the rest', async () => {
    const cut = { kind: 'cut', afterServerBytes: 3 * MB, connections: 1 } as const;
    expect((await sourceFaultThenResume('pc', cut)).code).toBe('CONNECTION_LOST');
  });

  it('the source cut mid-body, reconnects on: the run ends by itself with exactly the source', async () => {
    const { source, destination } = await seeded('pk');
    proxy.set({ kind: 'cut', afterServerBytes: 3 * MB, connections: 1 });
    const faultsBefore = proxy.faults();
    const result = await runImport(makeConfig(source, { reconnectDelay: 20, ...through() }), {
      destination: importTarget(destination, join(tempDir(), 'state.db')),
    });
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(result.totals.failed).toBe(0);
    expect(result.totals.copied + result.folders[0]!.recovered).toBe(4);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('the source silent mid-body, reconnects off: SOCKET_TIMEOUT for the FETCH, only whole messages stored, and the next run copies exactly the rest', async () => {
    const silent = { kind: 'silent', afterServerBytes: 3 * MB, connections: 1 } as const;
    const failure = await sourceFaultThenResume('ps', silent, { timeout: 1500 });
    // The pipe's own wait timed out, naming its command: not imapflow's idle socket timer.
    expect(failure.code).toBe('SOCKET_TIMEOUT');
    expect(failure.message).toContain('UID FETCH');
  });

  it('the destination cut mid-literal: the source is not read on for it, and the run reconnects and ends with exactly the source', async () => {
    const { source, destination } = await seeded('pd');
    proxy.set({ kind: 'cutClient', afterClientBytes: 3 * MB, connections: 1 });
    const faultsBefore = proxy.faults();
    const result = await runImport(makeConfig(source, { reconnectDelay: 20 }), {
      destination: importTarget(destination, join(tempDir(), 'state.db'), through()),
    });
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(result.totals.failed).toBe(0);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('the destination cut mid-literal, reconnects off: the error is the destination side, and the next run ends with exactly the source', async () => {
    const { source, destination } = await seeded('pe');
    const state = join(tempDir(), 'state.db');
    proxy.set({ kind: 'cutClient', afterClientBytes: 3 * MB, connections: 1 });
    const failure = await expectImportFailure(
      runImport(makeConfig(source, { reconnectAttempts: 0 }), {
        destination: importTarget(destination, state, through()),
      }),
    );
    proxy.set({ kind: 'pass' });
    expect(failure.details).toMatchObject({ side: 'destination' });
    await onlyWholeCopies(source, destination);
    const resumed = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(resumed.totals.failed).toBe(0);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('the destination cut mid-literal with post-read delete: nothing deleted that is not stored, and the next run moves the rest', async () => {
    const { source, destination } = await seeded('pg');
    const original = (await snapshot(source)).INBOX!.map((m) => m.sha256).sort();
    const state = join(tempDir(), 'state.db');
    const copy = {
      destination: importTarget(destination, state, through()),
      postReadAction: { type: 'delete' as const },
    };
    proxy.set({ kind: 'cutClient', afterClientBytes: 3 * MB, connections: 1 });
    const failure = await expectImportFailure(
      runImport(makeConfig(source, { reconnectAttempts: 0, maxQueueDepth: 2 }), copy),
    );
    proxy.set({ kind: 'pass' });
    expect(failure.details).toMatchObject({ side: 'destination' });
    // The cut batch is still at the source. The first batch was stored; its delete, owed in
    // the state, is taken during the next batch's pipe, which the cut stopped: then by the
    // next run. Every message is somewhere, and the destination holds no part of one.
    const left = (await snapshot(source)).INBOX ?? [];
    const held = (await snapshot(destination)).INBOX ?? [];
    expect(held.every((m) => original.includes(m.sha256))).toBe(true);
    expect(new Set(held.map((m) => m.sha256)).size).toBe(held.length);
    expect(left.map((m) => m.messageId)).toEqual(
      expect.arrayContaining(['<Large@example.com>', '<Third@example.com>']),
    );
    expect([...new Set([...left, ...held].map((m) => m.sha256))].sort()).toEqual(original);
    const resumed = await runImport(makeConfig(source), copy);
    expect(resumed.totals.failed).toBe(0);
    expect((await snapshot(source)).INBOX ?? []).toEqual([]);
    expect((await snapshot(destination)).INBOX!.map((m) => m.sha256).sort()).toEqual(original);
  });

  // Dovecot cannot be made to refuse a FETCH of some messages, so the proxy rewrites any FETCH
  // of bodies that includes UID 3 into one Dovecot answers BAD (no such section): the pipe's,
  // the first range of the older stream (for a message over a read batch), and each whole
  // read of a batch, until halving the batch leaves 3 alone.
  const refusing = {
    kind: 'rewrite' as const,
    command: (line: string) => {
      const fetch = /^(\S+ UID FETCH (\S+)) \(.*BODY\.PEEK\[\](<[\d.]+>)?\)$/.exec(line);
      if (!fetch || !expandUidSet(fetch[2]!).includes(3)) return line;
      return `${fetch[1]} (UID BODY.PEEK[NOSUCHSECTION])`;
    },
  };

  it('a source that refuses the bodies: the batch is read whole, and a message it will not give at all fails alone', async () => {
    const { source, destination } = await seeded('pf');
    proxy.set(refusing);
    const result = await runImport(makeConfig(source, through()), {
      destination: importTarget(destination, join(tempDir(), 'state.db')),
    });
    proxy.set({ kind: 'pass' });
    expect(result.totals).toMatchObject({ seen: 4, copied: 3, failed: 1 });
    expect(result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 3, code: 'MESSAGE_UNAVAILABLE' }),
    ]);
    expect(await onlyWholeCopies(source, destination)).toEqual([
      '<First@example.com>',
      '<Second@example.com>',
      '<Third@example.com>',
    ]);
  });
});

describe('an abort or an expunge while the pipe runs', () => {
  it('an abort while a command is written stops with ABORTED, stores nothing of that command, and the next run copies it', async () => {
    const source = freshUser('pa');
    const destination = freshUser('pb');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: message('Kept') }, { source: largeMessage('Interrupted', 9.2) }],
    });
    const state = join(tempDir(), 'state.db');
    const controller = new AbortController();
    // Aborted as the destination's command is logged, before its first byte is written: the
    // pipe notices at the first chunk of a body and cuts the command off.
    const onEntry = (entry: { msg?: unknown }): void => {
      if (/ APPEND "INBOX" \(piped, LITERAL\+\)$/.test(String(entry.msg))) controller.abort();
    };
    const logger = { debug: onEntry, info: onEntry, warn: onEntry, error: onEntry };
    const failure = await expectImportFailure(
      runImport(
        makeConfig(source),
        { destination: importTarget(destination, state) },
        { signal: controller.signal, logger },
      ),
    );
    expect(failure.code).toBe('ABORTED');
    expect(await onlyWholeCopies(source, destination)).not.toContain('<Interrupted@example.com>');
    const resumed = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(resumed.totals).toMatchObject({ failed: 0, copied: 2 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('a message expunged at the source once its FETCH is on the way: the run ends with exactly what the source still holds', async () => {
    const source = freshUser('px');
    const destination = freshUser('py');
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('First') },
        { source: largeMessage('Vanishing', 5.5) },
        { source: message('Last') },
      ],
    });
    // The test's own client expunges UID 2 as the pipe's FETCH is logged, before it is sent;
    // a child process, run synchronously, so the race is made, not hoped for.
    const { logger, expunged } = expungingLogger(
      source,
      2,
      /^\S+ UID FETCH \S+ \(UID BODY\.PEEK\[\]\)$/,
    );
    const result = await runImport(
      makeConfig(source, { reconnectDelay: 20 }),
      { destination: importTarget(destination, join(tempDir(), 'state.db')) },
      { logger },
    );
    expect(expunged()).toBe(true);
    expect(result.totals.failed).toBe(0);
    const now = (await snapshot(source)).INBOX!;
    expect(now.map((m) => m.messageId).sort()).toEqual([
      '<First@example.com>',
      '<Last@example.com>',
    ]);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('a message left to be read whole and expunged before that read: not owed any more, so the next run reads nothing', async () => {
    const source = freshUser('pn');
    const destination = freshUser('po');
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('First') },
        { source: message('No Message-ID', { id: null }) },
        { source: message('Last') },
      ],
    });
    const state = join(tempDir(), 'state.db');
    // UID 2 has no Message-ID, so the pipe leaves it (listed) for the folder's end; it is
    // expunged as the pipe's FETCH goes out, before that read.
    const { logger, expunged } = expungingLogger(
      source,
      2,
      /^\S+ UID FETCH \S+ \(UID BODY\.PEEK\[\]\)$/,
    );
    const first = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, state) },
      { logger },
    );
    expect(expunged()).toBe(true);
    expect(first.totals).toMatchObject({ copied: 2, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    // Still listed, the next run would ask for it again.
    const log = commandRecorder();
    const second = await runImport(
      makeConfig(source),
      { destination: importTarget(destination, state) },
      { logger: log.logger },
    );
    expect(second.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
    expect(log.sent().filter((line) => /^UID FETCH \S+ \(.*BODY/.test(line))).toEqual([]);
  });
});

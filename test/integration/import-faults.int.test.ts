/**
 * An import stopped at the worst moments: a crash between APPEND and recording it, a cut
 * connection, a killed process, a full or size-limited target. Each ends, after a restart,
 * with exactly the source's messages at the destination, none twice; and a post-read delete
 * never removes a message the destination did not confirm.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/sinks/sqlite-driver.js';
import { runImport, type ImportResult } from '../../src/index.js';
import { identify, type MessageIdentity } from '../../src/write/message-identity.js';
import { message } from '../helpers/corpus.js';
import { expectImportFailure } from '../helpers/import-failure.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { dovecot, freshUser, importTarget, makeConfig } from '../helpers/make-config.js';
import { counts, snapshot, withClient } from '../helpers/mailbox-snapshot.js';
import { seedMailbox, type SeedMessage } from '../helpers/seed.js';
import { addDovecotUsers } from '../helpers/dovecot.js';
import { randomBytes } from 'node:crypto';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, cliImportArgs, sleep } from '../helpers/cli.js';

function numbered(
  count: number,
  prefix: string,
  options: { noIdEvery?: number } = {},
): { source: Buffer; flags?: string[]; internalDate: Date }[] {
  return Array.from({ length: count }, (_, i) => ({
    source: message(`${prefix} ${i}`, {
      body: `Message ${i} of ${prefix}.\r\n${'line\r\n'.repeat(20)}`,
      ...(options.noIdEvery && i % options.noIdEvery === 0 ? { id: null } : {}),
    }),
    ...(i % 3 === 0 ? { flags: ['\\Seen'] } : {}),
    internalDate: new Date(Date.UTC(2024, 0, 1 + (i % 28), 8, i % 60)),
  }));
}

/**
 * Writes into a finished run's state what a crash leaves: the intent of INBOX's message `uid`
 * (the last one when omitted), and with `rewind` the checkpoint moved back before it (the
 * APPEND returned, the state not yet told). Returns the checkpoint found.
 */
function leaveIntent(
  state: string,
  identity: MessageIdentity,
  options: { uid?: number; rewind?: boolean } = {},
): number {
  const db = openDatabase(state, { readonly: false, busyTimeoutMs: 5000 });
  try {
    const progress = db
      .prepare(`SELECT job, uid_validity, last_uid FROM import_progress WHERE folder = 'INBOX'`)
      .get() as { job: string; uid_validity: string; last_uid: number };
    const uid = options.uid ?? progress.last_uid;
    if (options.rewind)
      db.prepare(`UPDATE import_progress SET last_uid = ? WHERE folder = 'INBOX'`).run(uid - 1);
    db.prepare(
      'INSERT INTO import_intent (job, folder, uid_validity, uid, destination, identity) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(progress.job, 'INBOX', progress.uid_validity, uid, 'INBOX', JSON.stringify(identity));
    return progress.last_uid;
  } finally {
    db.close();
  }
}

describe('a crash between APPEND and recording it', () => {
  it.each([
    // Only the intent keeps dedupe none from storing the message twice; it holds the content hash.
    ['none', false],
    // A run by Message-ID writes the header's keys alone: the message is found by its key.
    ['message-id', true],
  ] as const)(
    'finds the appended message on restart (the intent), with dedupe %s, and does not store it twice',
    async (dedupe, byMessageId) => {
      const source = freshUser('cs');
      const destination = freshUser('ct');
      const messages = numbered(5, `Crash ${dedupe}`);
      await seedMailbox(dovecot(), source, { INBOX: messages });
      const state = join(tempDir(), 'state.db');
      await runImport(makeConfig(source), {
        destination: importTarget(destination, state),
        dedupe,
      });
      const identity = identify(messages[4]!.source, byMessageId);
      expect(identity.contentHash === undefined).toBe(byMessageId);
      leaveIntent(state, identity, { rewind: true });

      const restarted = await runImport(makeConfig(source), {
        destination: importTarget(destination, state),
        dedupe,
      });
      expect(restarted.folders.find((f) => f.folder === 'INBOX')).toMatchObject({
        recovered: 1,
        copied: 0,
        seen: 0,
      });
      expect(await snapshot(destination)).toEqual(await snapshot(source));
    },
  );

  it('copies again a message whose intent was left unconfirmed below the checkpoint (a later step stored while its own was refused or cut)', async () => {
    const source = freshUser('cs');
    const destination = freshUser('ct');
    const messages = numbered(5, 'Requeue');
    await seedMailbox(dovecot(), source, { INBOX: messages });
    const state = join(tempDir(), 'state.db');
    await runImport(makeConfig(source), { destination: importTarget(destination, state) });
    // The destination lacks the third message, the checkpoint is past it, and its intent is
    // still written down: what pipelined steps leave when step k was cut after step k+1 landed.
    await withClient(destination, async (client) => {
      await client.mailboxOpen('INBOX');
      const found = await client.search({ header: { subject: 'Requeue 2' } }, { uid: true });
      expect(found).toHaveLength(1);
      await client.messageDelete(String((found as number[])[0]), { uid: true });
    });
    // As a run by Message-ID (the default) writes it: without a content hash.
    expect(leaveIntent(state, identify(messages[2]!.source, true), { uid: 3 })).toBe(5);

    const restarted = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
    });
    expect(restarted.folders.find((f) => f.folder === 'INBOX')).toMatchObject({
      recovered: 0,
      copied: 1,
      failed: 0,
    });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('without the intent, dedupe none would have stored it twice (the control for the test above)', async () => {
    const source = freshUser('cs');
    const destination = freshUser('ct');
    await seedMailbox(dovecot(), source, { INBOX: numbered(2, 'Control') });
    const state = join(tempDir(), 'state.db');
    await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      dedupe: 'none',
    });
    const db = openDatabase(state, { readonly: false, busyTimeoutMs: 5000 });
    db.prepare(`UPDATE import_progress SET last_uid = last_uid - 1 WHERE folder = 'INBOX'`).run();
    db.close();
    const restarted = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      dedupe: 'none',
    });
    expect(restarted.totals.copied).toBe(1);
    expect(counts(await snapshot(destination))).toEqual({ INBOX: 3 });
  });
});

describe('a cut connection', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });

  for (const side of ['destination', 'source'] as const) {
    it(`on the ${side} side, with reconnects off: the run fails with CONNECTION_LOST and the next run ends with exactly the source's messages`, async () => {
      const source = freshUser('xs');
      const destination = freshUser('xt');
      await seedMailbox(dovecot(), source, {
        INBOX: numbered(40, 'Cut', { noIdEvery: 7 }),
        Work: numbered(10, 'Work'),
      });
      const state = join(tempDir(), 'state.db');
      // The destination answers little per APPEND; the source sends whole messages.
      proxy.set({ kind: 'cut', afterServerBytes: side === 'destination' ? 3000 : 8000 });
      const through = { server: dovecot().host, port: proxy.port };
      // Batches of 5 so the cut falls after some batches are stored, not before the first.
      const sourceConfig = makeConfig(source, {
        maxQueueDepth: 5,
        reconnectAttempts: 0,
        ...(side === 'source' ? through : {}),
      });
      const targetSpec =
        side === 'destination'
          ? importTarget(destination, state, through)
          : importTarget(destination, state);
      const failure = await expectImportFailure(
        runImport(sourceConfig, { destination: targetSpec }),
      );
      proxy.set({ kind: 'pass' });
      expect(failure.code).toBe('CONNECTION_LOST');
      expect(failure.details!.side).toBe(side === 'destination' ? 'destination' : undefined);
      const before = counts(await snapshot(destination));
      const storedBefore = (before.INBOX ?? 0) + (before.Work ?? 0);
      expect(storedBefore).toBeGreaterThan(0);
      expect(storedBefore).toBeLessThan(50);

      const resumed = await runImport(makeConfig(source), {
        destination: importTarget(destination, state),
      });
      expect(resumed.totals).toMatchObject({ failed: 0, copied: 50 - storedBefore });
      expect(await snapshot(destination)).toEqual(await snapshot(source));
    });
  }
});

describe('a post-read action cut off', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });

  // imapflow answers false for a STORE, EXPUNGE or MOVE whose connection dropped: taken for
  // done, the action was cleared from the state untaken and the messages stayed at the source.
  for (const [action, sent, command] of [
    [{ type: 'delete' }, 'UID EXPUNGE', /^\S+ UID EXPUNGE /],
    [{ type: 'move', folder: 'Done' }, 'UID MOVE', /^\S+ UID MOVE /],
  ] as const) {
    it(`${action.type}: the source cut as it sends ${sent}: reconnects on, the run still takes it; off, the next run does`, async () => {
      for (const reconnect of [true, false]) {
        const source = freshUser('as');
        const destination = freshUser('at');
        await seedMailbox(dovecot(), source, { INBOX: numbered(6, 'Acted') });
        const original = (await snapshot(source)).INBOX!;
        const state = join(tempDir(), 'state.db');
        const copy = { destination: importTarget(destination, state), postReadAction: action };
        proxy.set({ kind: 'cutOnCommand', command, connections: 1 });
        const faultsBefore = proxy.faults();
        const config = makeConfig(source, {
          server: dovecot().host,
          port: proxy.port,
          maxQueueDepth: 3,
          ...(reconnect ? { reconnectDelay: 20 } : { reconnectAttempts: 0 }),
        });
        if (reconnect) await runImport(config, copy);
        else {
          const failure = await expectImportFailure(runImport(config, copy));
          expect(failure.code).toBe('CONNECTION_LOST');
          // Nothing taken for done: the action is still owed, and the next run takes it.
          await runImport(makeConfig(source), copy);
        }
        proxy.set({ kind: 'pass' });
        expect(proxy.faults() - faultsBefore).toBe(1);
        const after = await snapshot(source);
        expect(after.INBOX ?? []).toEqual([]);
        if (action.type === 'move')
          expect(after.Done!.map((m) => m.sha256).sort()).toEqual(
            original.map((m) => m.sha256).sort(),
          );
        expect((await snapshot(destination)).INBOX).toEqual(original);
      }
    });
  }

  it("delete, the destination's answer to a stored command cut, reconnects on: the copies are found on the reconnect and deleted in the same run", async () => {
    const source = freshUser('ar');
    const destination = freshUser('au');
    await seedMailbox(dovecot(), source, { INBOX: numbered(6, 'Recovered') });
    const original = (await snapshot(source)).INBOX!;
    // Dovecot stores the first APPEND command; its tagged answer never arrives.
    proxy.set({ kind: 'cutOn', pattern: 'Append completed', connections: 1 });
    const faultsBefore = proxy.faults();
    const through = { server: dovecot().host, port: proxy.port };
    const result = await runImport(makeConfig(source, { reconnectDelay: 20, maxQueueDepth: 3 }), {
      destination: importTarget(destination, join(tempDir(), 'state.db'), through),
      postReadAction: { type: 'delete' },
    });
    proxy.set({ kind: 'pass' });
    expect(proxy.faults() - faultsBefore).toBe(1);
    expect(result.totals.failed).toBe(0);
    expect(result.folders[0]!.recovered).toBeGreaterThan(0);
    // Their delete is taken on the reconnect, not left owed to the next run.
    expect((await snapshot(source)).INBOX ?? []).toEqual([]);
    expect((await snapshot(destination)).INBOX).toEqual(original);
  });
});

describe('a connection cut again and again', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });

  for (const side of ['destination', 'source'] as const) {
    it(`on the ${side} side: the run reconnects by itself and ends with exactly the source's messages`, async () => {
      const source = freshUser('rs');
      const destination = freshUser('rt');
      await seedMailbox(dovecot(), source, {
        INBOX: numbered(40, 'Again', { noIdEvery: 7 }),
        Work: numbered(10, 'Work'),
      });
      const state = join(tempDir(), 'state.db');
      // Every session through the proxy is cut after a few batches: the run needs several.
      proxy.set({ kind: 'cut', afterServerBytes: side === 'destination' ? 3000 : 8000 });
      const through = { server: dovecot().host, port: proxy.port };
      const faultsBefore = proxy.faults();
      const result = await runImport(
        makeConfig(source, {
          maxQueueDepth: 5,
          reconnectDelay: 20,
          ...(side === 'source' ? through : {}),
        }),
        {
          destination:
            side === 'destination'
              ? importTarget(destination, state, through)
              : importTarget(destination, state),
        },
      );
      proxy.set({ kind: 'pass' });
      // At least one cut, survived inside the run (the source side needs several sessions).
      expect(proxy.faults() - faultsBefore).toBeGreaterThanOrEqual(side === 'source' ? 2 : 1);
      expect(result.totals).toMatchObject({ failed: 0 });
      expect(result.totals.copied + result.folders.reduce((n, f) => n + f.recovered, 0)).toBe(50);
      expect(await snapshot(destination)).toEqual(await snapshot(source));
    });
  }
});

describe('a message whose reading cuts the connection every time', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(dovecot().imapPort);
  });
  afterAll(async () => {
    await proxy.close();
  });

  /**
   * A source with one message that carries a signature among `folders(poisoned)`, a
   * destination, and the proxy cutting each connection as the server sends the signature (as
   * a filter resetting such connections would). `run` imports through the proxy.
   */
  async function poisonedImport(
    prefix: string,
    folders: (poisoned: SeedMessage) => Record<string, SeedMessage[]>,
  ) {
    const source = freshUser(`${prefix}s`);
    const destination = freshUser(`${prefix}t`);
    const signature = `SIGNATURE-${randomBytes(4).toString('hex')}`;
    const poisoned = { source: message('Poisoned', { body: `It carries ${signature}.\r\n` }) };
    await seedMailbox(dovecot(), source, folders(poisoned));
    const state = join(tempDir(), 'state.db');
    const through = { server: dovecot().host, port: proxy.port };
    const config = makeConfig(source, { maxQueueDepth: 5, reconnectDelay: 20, ...through });
    const run = () => runImport(config, { destination: importTarget(destination, state) });
    proxy.set({ kind: 'cutOn', pattern: signature });
    return { source, destination, run };
  }

  it('fails alone: each run ends by itself with the rest copied, and the message is copied once the source gives it', async () => {
    const {
      source,
      destination,
      run: runOnce,
    } = await poisonedImport('p', (poisoned) => ({
      INBOX: [...numbered(12, 'Before'), poisoned, ...numbered(12, 'After')],
    }));
    const run = async (): Promise<{ result: ImportResult; faults: number }> => {
      const faultsBefore = proxy.faults();
      const result = await runOnce();
      return { result, faults: proxy.faults() - faultsBefore };
    };

    // Cut in its batch of 5; then read alone, cut each time until the reconnects (3) would be
    // spent: listed instead, and the run goes on.
    const first = await run();
    expect(first.faults).toBe(4);
    expect(first.result.totals).toMatchObject({ copied: 24, failed: 1 });
    expect(first.result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 13, code: 'MESSAGE_UNAVAILABLE' }),
    ]);
    const stored = (await snapshot(destination)).INBOX!.map((m) => m.messageId);
    expect(stored).toHaveLength(24);
    expect(stored).not.toContain('<Poisoned@example.com>');

    // Alone in the next run: a message copied before is read whole once more, which shows the
    // connection carries mail, so this one is listed again after 3 cuts and the run ends by
    // itself (before, it failed with CONNECTION_LOST run after run until other mail came).
    const alone = await run();
    expect(alone.faults).toBe(3);
    expect(alone.result.totals).toMatchObject({ copied: 0, failed: 1 });
    expect(alone.result.folders[0]!.failures).toEqual([
      expect.objectContaining({ uid: 13, code: 'MESSAGE_UNAVAILABLE' }),
    ]);

    // With new mail beside it, the next run copies that and lists it again after 3 cuts.
    await seedMailbox(dovecot(), source, { INBOX: [{ source: message('Later') }] });
    const second = await run();
    expect(second.faults).toBe(3);
    expect(second.result.totals).toMatchObject({ copied: 1, failed: 1 });

    // Once the source gives it, it is copied, and nothing is twice.
    proxy.set({ kind: 'pass' });
    const third = await run();
    expect(third.result.totals).toMatchObject({ copied: 1, failed: 0 });
    expect((await snapshot(destination)).INBOX).toHaveLength(26);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('is given up on also when it is the first message a run reads, so the mail after it is copied', async () => {
    const { source, destination, run } = await poisonedImport('f', (poisoned) => ({
      INBOX: [poisoned, ...numbered(9, 'After')],
    }));
    try {
      const result = await run();
      expect(result.totals).toMatchObject({ copied: 9, failed: 1 });
      expect(result.folders[0]!.failures).toEqual([
        expect.objectContaining({ uid: 1, code: 'MESSAGE_UNAVAILABLE' }),
      ]);
    } finally {
      proxy.set({ kind: 'pass' });
    }
    const again = await run();
    expect(again.totals).toMatchObject({ copied: 1, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });

  it('left alone in its folder, it waits for the other folders, so their new mail is copied', async () => {
    const { source, destination, run } = await poisonedImport('h', (poisoned) => ({
      INBOX: [{ source: message('Inbox 1') }, poisoned],
      Sent: [{ source: message('Sent 1') }],
    }));
    try {
      expect((await run()).totals).toMatchObject({ copied: 2, failed: 1 });
      // INBOX has nothing new but the listed message; Sent has new mail, read first.
      await seedMailbox(dovecot(), source, { Sent: [{ source: message('Sent 2') }] });
      const second = await run();
      expect(second.totals).toMatchObject({ copied: 1, failed: 1 });
      expect(second.folders.find((f) => f.folder === 'INBOX')!.failures).toEqual([
        expect.objectContaining({ uid: 2, code: 'MESSAGE_UNAVAILABLE' }),
      ]);
    } finally {
      proxy.set({ kind: 'pass' });
    }
    expect((await run()).totals).toMatchObject({ copied: 1, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

/** Two users, a seeded source, config files and the CLI arguments of an import between them (passwords from env). */
async function cliImport(
  prefix: string,
  count: number,
  delay: string,
): Promise<{
  source: { name: string; password: string };
  destination: { name: string; password: string };
  env: NodeJS.ProcessEnv;
  args: string[];
}> {
  const dir = tempDir();
  const source = freshUser(`${prefix.toLowerCase()}s`);
  const destination = freshUser(`${prefix.toLowerCase()}t`);
  await seedMailbox(dovecot(), source, { INBOX: numbered(count, prefix, { noIdEvery: 5 }) });
  writeFileSync(
    join(dir, 'source.json'),
    JSON.stringify({ ...makeConfig(source), password: undefined, delayBetweenMessages: delay }),
  );
  writeFileSync(
    join(dir, 'target.json'),
    JSON.stringify({
      ...makeConfig(destination),
      password: undefined,
      isTarget: true,
      isSource: false,
    }),
  );
  const env = {
    ...process.env,
    IMAP_PASSWORD: source.password,
    IMAP_TARGET_PASSWORD: destination.password,
  };
  return {
    source,
    destination,
    env,
    args: [CLI, ...cliImportArgs(dir)],
  };
}

/** Waits until the destination INBOX holds at least `count` messages. */
async function waitForStored(
  destination: { name: string; password: string },
  count: number,
): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    const stored = await withClient(destination, async (client) => {
      const status = await client.status('INBOX', { messages: true });
      return status ? (status.messages ?? 0) : 0;
    });
    if (stored >= count) return;
  }
}

describe('a killed process', () => {
  it('(kill -9 in the middle of a CLI import) leaves a state the next run finishes from, with nothing twice', async () => {
    const { destination, source, env, args } = await cliImport('Kill', 60, '0.03');
    const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    await waitForStored(destination, 15);
    child.kill('SIGKILL');
    await exited;
    const atKill = counts(await snapshot(destination)).INBOX ?? 0;
    expect(atKill).toBeGreaterThanOrEqual(15);
    expect(atKill).toBeLessThan(60);

    const rerun = spawn(process.execPath, [...args, '--json'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    rerun.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await new Promise((resolve) => rerun.on('exit', resolve))).toBe(0);
    const result = JSON.parse(out) as ImportResult;
    expect(result.totals.copied + atKill).toBe(60);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

describe('Ctrl-C', () => {
  it('stops the CLI import cleanly (STOPPED, exit 130 as for any Ctrl-C), and the next run finishes with nothing twice', async () => {
    const { destination, source, env, args } = await cliImport('Interrupted', 40, '0.05');
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    await waitForStored(destination, 5);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(err).toMatch(/^STOPPED {2}ABORTED {2}The import was stopped/m);
    const atStop = counts(await snapshot(destination)).INBOX ?? 0;
    // A stop is reported once, and what was done so far is not called OK.
    expect(err.match(/^STOPPED/gm)).toHaveLength(1);
    expect(atStop).toBeLessThan(40);
    const rerun = spawn(process.execPath, args, { env, stdio: 'ignore' });
    expect(await new Promise((resolve) => rerun.on('exit', resolve))).toBe(0);
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

describe('a failing destination', () => {
  function limitedUser(
    prefix: string,
    limits: { quotaMessages?: number; maxMailSize?: string },
  ): { name: string; password: string } {
    const user = {
      name: `${prefix}${randomBytes(4).toString('hex')}`,
      password: `pw-${randomBytes(6).toString('hex')}`,
    };
    addDovecotUsers(dovecot(), [{ ...user, ...limits }]);
    return user;
  }

  it('over quota: the import stops with OVER_QUOTA and post-read delete removed only what the target holds', async () => {
    const source = freshUser('qs');
    const destination = limitedUser('qt', { quotaMessages: 3 });
    await seedMailbox(dovecot(), source, { INBOX: numbered(6, 'Quota') });
    const original = await snapshot(source);
    const failure = await expectImportFailure(
      runImport(makeConfig(source), {
        destination: importTarget(destination, join(tempDir(), 'state.db')),
        postReadAction: { type: 'delete' },
      }),
    );
    expect(failure.code).toBe('OVER_QUOTA');
    const left = await snapshot(source);
    const stored = await snapshot(destination);
    expect(stored.INBOX).toHaveLength(3);
    expect(left.INBOX).toHaveLength(3);
    // Every message is in exactly one of the two places: nothing deleted that was not stored.
    expect([...stored.INBOX!, ...left.INBOX!].map((m) => m.sha256).sort()).toEqual(
      original.INBOX!.map((m) => m.sha256).sort(),
    );
  });

  it('a message too large for the target is reported failed, kept at the source, and tried again next run', async () => {
    const source = freshUser('ls');
    const destination = limitedUser('lt', { maxMailSize: '8k' });
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Small one') },
        { source: message('Huge one', { body: 'x'.repeat(20000) }) },
        { source: message('Small two') },
      ],
    });
    const state = join(tempDir(), 'state.db');
    const first = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      postReadAction: { type: 'delete' },
    });
    expect(first.totals).toMatchObject({ seen: 3, copied: 2, failed: 1 });
    expect(first.folders[0]!.failures).toEqual([
      expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }),
    ]);
    expect((await snapshot(source)).INBOX).toHaveLength(1);
    const second = await runImport(makeConfig(source), {
      destination: importTarget(destination, state),
      postReadAction: { type: 'delete' },
    });
    expect(second.totals).toMatchObject({ seen: 1, copied: 0, failed: 1 });
    expect((await snapshot(source)).INBOX).toHaveLength(1);
    expect((await snapshot(destination)).INBOX).toHaveLength(2);
  });
});

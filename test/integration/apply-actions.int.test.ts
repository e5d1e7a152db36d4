/**
 * applyActions, the acknowledge step of read -> process -> acknowledge, against the real
 * Dovecot: flags, move and delete reach exactly the messages read; a renumbered folder is
 * refused; bad input is refused before any connection. A second private Dovecot announces no
 * MOVE and no UIDPLUS (Dovecot has both; announcing fewer is the only way to meet such a server)
 * to show that other \Deleted mail is never expunged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { applyActions, read } from '../../src/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { message } from '../helpers/corpus.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { cliConnection, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { withClient } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Server = Pick<DovecotServer, 'host' | 'imapPort'>;

/** Per folder: subject -> flags (without \Recent), as another client sees it. */
async function mailbox(
  user: { name: string; password: string },
  server: Server = dovecot(),
): Promise<Record<string, Record<string, string[]>>> {
  return withClient(
    user,
    async (client) => {
      const result: Record<string, Record<string, string[]>> = {};
      for (const folder of await client.list()) {
        if (folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) continue;
        const lock = await client.getMailboxLock(folder.path, { readOnly: true });
        try {
          if (!client.mailbox || !client.mailbox.exists) continue;
          const messages: Record<string, string[]> = {};
          for await (const m of client.fetch('1:*', { envelope: true, flags: true }))
            messages[m.envelope?.subject ?? '?'] = [...(m.flags ?? [])]
              .filter((f) => f !== '\\Recent')
              .sort();
          result[folder.path] = messages;
        } finally {
          lock.release();
        }
      }
      return result;
    },
    server,
  );
}

async function seeded(server: Server = dovecot(), user = freshUser()) {
  await seedMailbox(server, user, {
    INBOX: [
      { source: message('Order 1') },
      { source: message('Order 2') },
      { source: message('Newsletter') },
    ],
    Sent: [{ source: message('Reply') }],
  });
  return user;
}

/** The ids of the rows whose subject starts with `prefix`. */
async function idsOf(config: Record<string, unknown>, prefix: string): Promise<string[]> {
  const { rows } = await read(config, 'ALL');
  return (rows as { id: string; subject: string }[])
    .filter((row) => row.subject.startsWith(prefix))
    .map((row) => row.id);
}

describe('applyActions', () => {
  it('marks seen and flags exactly the rows read, and running it again changes nothing', async () => {
    const user = await seeded();
    const config = makeConfig(user);
    const ids = await idsOf(config, 'Order');
    const input = { ids, markSeen: true, flags: ['\\Flagged', 'processed'] };
    const result = await applyActions(config, input);
    expect(result).toMatchObject({ acknowledged: 2, refused: 0, warnings: [] });
    const after = await mailbox(user);
    expect(after.INBOX).toEqual({
      'Order 1': ['\\Flagged', '\\Seen', 'processed'].sort(),
      'Order 2': ['\\Flagged', '\\Seen', 'processed'].sort(),
      Newsletter: [],
    });
    await applyActions(config, input);
    expect(await mailbox(user)).toEqual(after);
  });

  it('moves just those messages (UID MOVE), creating the folder, across two source folders', async () => {
    const user = await seeded();
    const config = makeConfig(user);
    const ids = [...(await idsOf(config, 'Order 2')), ...(await idsOf(config, 'Reply'))];
    const result = await applyActions(config, { ids, moveTo: 'Done/2026' });
    expect(result.folders.map((f) => [f.folder, f.status, f.moveMethod, f.expunged])).toEqual([
      ['INBOX', 'done', 'MOVE', true],
      ['Sent', 'done', 'MOVE', true],
    ]);
    const after = await mailbox(user);
    expect(Object.keys(after.INBOX!).sort()).toEqual(['Newsletter', 'Order 1']);
    expect(Object.keys(after['Done/2026']!).sort()).toEqual(['Order 2', 'Reply']);
    expect(after.Sent).toBeUndefined();
  });

  it('leaves rows read from the moveTo folder where they are, so a read over every folder does not give them again and again', async () => {
    const user = await seeded();
    const config = makeConfig(user); // reads every folder
    await applyActions(config, { ids: await idsOf(config, 'Order'), moveTo: 'Processed' });
    // Moved, they are new messages there: a read over every folder gives them once more.
    const again = await idsOf(config, 'Order');
    expect(again.every((id) => id.includes('/Processed;'))).toBe(true);
    const result = await applyActions(config, { ids: again, moveTo: 'Processed', markSeen: true });
    expect(result.folders).toEqual([
      expect.objectContaining({ folder: 'Processed', status: 'done', alreadyThere: true }),
    ]);
    expect(result.folders[0]!.moveMethod).toBeUndefined();
    // Not moved into their own folder: the same UIDs, no new rows; the mark is made.
    expect(await idsOf(config, 'Order')).toEqual(again);
    expect((await mailbox(user)).Processed).toEqual({
      'Order 1': ['\\Seen'],
      'Order 2': ['\\Seen'],
    });
  });

  it("deletes just those messages: another client's \\Deleted message stays", async () => {
    const user = await seeded();
    const config = makeConfig(user);
    await withClient(user, async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd({ subject: 'Newsletter' }, ['\\Deleted']);
      } finally {
        lock.release();
      }
    });
    const result = await applyActions(config, {
      ids: await idsOf(config, 'Order 1'),
      delete: true,
    });
    expect(result.folders[0]).toMatchObject({ status: 'done', expunged: true });
    expect(await mailbox(user)).toMatchObject({
      INBOX: { 'Order 2': [], Newsletter: ['\\Deleted'] },
    });
    expect(Object.keys((await mailbox(user)).INBOX!)).not.toContain('Order 1');
  });

  it('refuses a folder whose UIDVALIDITY changed, changing nothing there, and does the rest', async () => {
    const user = await seeded();
    const config = makeConfig(user);
    const inbox = await idsOf(config, 'Order 1');
    const stale = inbox.map((id) => id.replace(/UIDVALIDITY=\d+/, 'UIDVALIDITY=1'));
    const sent = await idsOf(config, 'Reply');
    const result = await applyActions(config, { ids: [...stale, ...sent], markSeen: true });
    expect(result).toMatchObject({ acknowledged: 1, refused: 1 });
    expect(result.folders.find((f) => f.folder === 'INBOX')).toMatchObject({
      status: 'refused',
      error: { code: 'UIDVALIDITY_CHANGED' },
    });
    const after = await mailbox(user);
    expect(after.INBOX!['Order 1']).toEqual([]);
    expect(after.Sent!.Reply).toEqual(['\\Seen']);
  });

  it('refuses bad input before connecting, naming each field', async () => {
    const config = makeConfig(freshUser(), { port: 1 });
    await expect(
      applyActions(config, { ids: ['imap://a@b/INBOX;UIDVALIDITY=1/;UID=1'] }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('markSeen, flags, moveTo or delete'),
    });
    await expect(
      applyActions(config, {
        ids: ['nope', 'imap://a@b/INBOX;UIDVALIDITY=1/;UID=0'],
        markSeen: true,
      }),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: { issues: [{ field: '/ids/0' }, { field: '/ids/1' }] },
    });
    await expect(
      applyActions(config, {
        ids: ['imap://a@b/INBOX;UIDVALIDITY=1/;UID=1'],
        moveTo: 'X',
        delete: true,
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/delete' });
    await expect(
      applyActions(config, { ids: ['imap://a@b/INBOX;UIDVALIDITY=1/;UID=1'], flags: ['bad flag'] }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', field: '/flags/0' });
  });

  it('refuses ids of another account', async () => {
    const user = await seeded();
    const other = await seeded();
    const ids = await idsOf(makeConfig(other), 'Order 1');
    await expect(applyActions(makeConfig(user), { ids, delete: true })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/ids/0',
    });
    expect(Object.keys((await mailbox(other)).INBOX!)).toContain('Order 1');
  });

  it('ends at once with ABORTED on an aborted signal, changing nothing', async () => {
    const user = await seeded();
    const config = makeConfig(user);
    const ids = await idsOf(config, 'Order');
    await expect(
      applyActions(config, { ids, delete: true }, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(Object.keys((await mailbox(user)).INBOX!)).toHaveLength(3);
  });
});

describe('apply-actions on a server without MOVE and UIDPLUS', () => {
  let bare: DovecotServer;
  const USER = { name: 'bare', password: 'bare-password' };
  beforeAll(async () => {
    bare = await startDovecot({
      users: [USER],
      capabilities: [
        'IMAP4rev1',
        'LITERAL+',
        'SASL-IR',
        'ID',
        'ENABLE',
        'IDLE',
        'NAMESPACE',
        'CHILDREN',
        'SPECIAL-USE',
        'ESEARCH',
      ],
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it('moves by COPY and leaves the originals marked \\Deleted, never expunging other \\Deleted mail', async () => {
    await seeded(bare, USER);
    const config = {
      server: bare.host,
      port: bare.imapPort,
      security: 'none',
      username: USER.name,
      password: USER.password,
    };
    await withClient(
      USER,
      async (client) => {
        const lock = await client.getMailboxLock('INBOX');
        try {
          await client.messageFlagsAdd({ subject: 'Newsletter' }, ['\\Deleted']);
        } finally {
          lock.release();
        }
      },
      bare,
    );
    const result = await applyActions(config, {
      ids: await idsOf(config, 'Order'),
      moveTo: 'Done',
    });
    expect(result.folders[0]).toMatchObject({
      status: 'done',
      moveMethod: 'COPY',
      expunged: false,
    });
    expect(result.warnings).toEqual([expect.stringContaining('no UIDPLUS')]);
    const after = await mailbox(USER, bare);
    expect(after.INBOX).toEqual({
      'Order 1': ['\\Deleted'],
      'Order 2': ['\\Deleted'],
      Newsletter: ['\\Deleted'],
    });
    expect(Object.keys(after.Done!).sort()).toEqual(['Order 1', 'Order 2']);
  });
});

describe('imap-connector apply-actions', () => {
  it('acknowledges the rows a read wrote to a file: read -> process -> acknowledge', async () => {
    const user = await seeded();
    const dir = tempDir();
    const rows = join(dir, 'rows.ndjson');
    const env = { IMAP_PASSWORD: user.password };
    expect(
      await main(
        ['read', ...cliConnection(user), '--query', 'ALL FOLDER INBOX', '--all', '--out', rows],
        captureIo(env),
      ),
    ).toBe(0);
    const io = captureIo(env);
    expect(
      await main(
        ['apply-actions', ...cliConnection(user), '--ids', rows, '--move-to', 'Processed'],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toContain('OK       INBOX: 3 messages (moved by MOVE)');
    expect(io.out()).toContain('3 acknowledged, 0 refused');
    const after = await mailbox(user);
    expect(after.INBOX).toBeUndefined();
    expect(Object.keys(after.Processed!)).toHaveLength(3);
  });

  it('takes one id per line too, and says which line is broken', async () => {
    const user = await seeded();
    const dir = tempDir();
    const file = join(dir, 'ids.txt');
    const ids = await idsOf(makeConfig(user), 'Newsletter');
    writeFileSync(file, `${ids[0]}\n{"not": "an id"}\n`);
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(['apply-actions', ...cliConnection(user), '--ids', file, '--mark-seen'], io),
    ).toBe(2);
    expect(io.err()).toContain('line 2 of --ids has no "id"');
    writeFileSync(file, `${ids[0]}\n`);
    expect(
      await main(
        ['apply-actions', ...cliConnection(user), '--ids', file, '--mark-seen'],
        captureIo({ IMAP_PASSWORD: user.password }),
      ),
    ).toBe(0);
    expect((await mailbox(user)).INBOX!.Newsletter).toEqual(['\\Seen']);
  });
});

/**
 * Flags a folder cannot keep are said, never dropped without a word. A private Dovecot with
 * its ACL plugin takes rights away from two folders of every user (a global ACL file), so its
 * PERMANENTFLAGS are those a real server gives a folder the user may not tag:
 * - Locked: no `w` right, so (\Deleted \Seen): no keywords, no \Flagged;
 * - Frozen: no `w` and no `s`, so (\Deleted): not even \Seen.
 * The server itself drops such flags from an APPEND and answers OK, and imapflow does not send
 * a STORE of them at all, so without a word the copies, flag sync and post-read marks would
 * lose them.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatImport } from '../../src/cli/import-format.js';
import { applyActions, read, runImport, write } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { addDovecotUsers, startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { withImapClient } from '../helpers/imap-client.js';
import { importTarget, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

type User = { name: string; password: string };

let server: DovecotServer;
let aclDir: string;
let users = 0;

function newUser(): User {
  const user = { name: `fl${process.pid}x${++users}`, password: `pw-fl-${users}` };
  addDovecotUsers(server, [user]);
  return user;
}

/** Subject -> sorted flags (without \Recent) of every message in a folder. */
async function flagsIn(user: User, folder: string): Promise<Record<string, string[]>> {
  return withImapClient(user, server, async (client) => {
    await client.mailboxOpen(folder, { readOnly: true });
    const result: Record<string, string[]> = {};
    for (const m of await client.fetchAll('1:*', { envelope: true, flags: true }))
      result[m.envelope!.subject!] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
    return result;
  });
}

beforeAll(async () => {
  // The mail processes run unprivileged: the ACL file must be readable by them.
  aclDir = mkdtempSync(join(tmpdir(), 'imap-connector-acl-'));
  chmodSync(aclDir, 0o755);
  const acl = join(aclDir, 'global-acl');
  writeFileSync(acl, 'Locked owner lrsitekxa\nFrozen owner lritekxa\n');
  chmodSync(acl, 0o644);
  server = await startDovecot({
    settings: ['mail_plugins = $mail_plugins acl', `plugin {\n  acl = vfile:${acl}\n}`],
  });
});

afterAll(async () => {
  await server?.stop();
  if (aclDir) rmSync(aclDir, { recursive: true, force: true });
});

describe('flags a folder cannot keep', () => {
  it('the server gives the restricted folders the PERMANENTFLAGS the tests rely on', async () => {
    const user = newUser();
    const permanent = await withImapClient(user, server, async (client) => {
      const found: Record<string, string[]> = {};
      for (const folder of ['Locked', 'Frozen', 'INBOX']) {
        if (folder !== 'INBOX') await client.mailboxCreate(folder);
        found[folder] = [...((await client.mailboxOpen(folder)).permanentFlags ?? [])].sort();
      }
      return found;
    });
    expect(permanent).toEqual({
      Locked: ['\\Deleted', '\\Seen'],
      Frozen: ['\\Deleted'],
      INBOX: expect.arrayContaining(['\\*', '\\Flagged']),
    });
  });

  it('an import into a folder that cannot keep them says which, on both paths and in flag sync', async () => {
    const source = newUser();
    const target = newUser();
    await seedMailbox(server, source, {
      INBOX: [
        { source: message('m1'), flags: ['\\Seen'] },
        { source: message('m2'), flags: ['\\Flagged', '$Label1'] },
        { source: message('m3'), flags: ['$Label1'] },
        { source: message('m4') },
        // No Message-ID: read whole and stored on the batch path, not piped.
        { source: message('m5', { id: null }), flags: ['$Label1', '\\Seen'] },
      ],
    });
    const at = { server: server.host, port: server.imapPort };
    const spec = {
      destination: importTarget(target, join(tempDir('flags-left-out-'), 'state.db'), at),
      folderMapping: { INBOX: 'Locked' },
      query: 'ALL FOLDER INBOX',
    };
    const sourceConfig = makeConfig(source, at);

    const first = await runImport(sourceConfig, spec);
    expect(first.totals).toMatchObject({ copied: 5, failed: 0 });
    const leftOut = first.folders[0]!.flagsLeftOut ?? [];
    expect([...leftOut].sort((a, b) => (a.flag < b.flag ? -1 : 1))).toEqual([
      { side: 'destination', flag: '$Label1', messages: 3 },
      { side: 'destination', flag: '\\Flagged', messages: 1 },
    ]);
    // What the result says is what the destination holds: the copies lack exactly those.
    expect(await flagsIn(target, 'Locked')).toEqual({
      m1: ['\\Seen'],
      m2: [],
      m3: [],
      m4: [],
      m5: ['\\Seen'],
    });
    const text = formatImport(first);
    expect(text).toContain('warning: Locked cannot keep');
    expect(text).toMatch(/\$Label1 \(3\)/);
    expect(text).toMatch(/\\Flagged \(1\)/);

    // Flag sync: a keyword the folder cannot keep is said, not counted as carried over.
    await withImapClient(source, server, async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd({ subject: 'm1' }, ['$Label2']);
      await client.messageFlagsAdd({ subject: 'm4' }, ['\\Seen']);
    });
    const second = await runImport(sourceConfig, spec);
    expect(second.totals).toMatchObject({ copied: 0, flagsUpdated: 1 });
    expect(second.folders[0]!.flagsLeftOut).toEqual([
      { side: 'destination', flag: '$Label2', messages: 1 },
    ]);
    expect((await flagsIn(target, 'Locked')).m4).toEqual(['\\Seen']);
  }, 60_000);

  it('a post-read mark the source folder cannot keep is said, and not owed again', async () => {
    const source = newUser();
    const target = newUser();
    await seedMailbox(server, source, {
      Frozen: [{ source: message('f1') }, { source: message('f2') }],
    });
    const at = { server: server.host, port: server.imapPort };
    const spec = {
      destination: importTarget(target, join(tempDir('flags-left-out-'), 'state.db'), at),
      folderMapping: { Frozen: 'INBOX' },
      postReadAction: { type: 'markSeen' as const },
      query: 'ALL FOLDER Frozen',
    };
    const sourceConfig = makeConfig(source, at);
    const first = await runImport(sourceConfig, spec);
    expect(first.totals).toMatchObject({ copied: 2, failed: 0 });
    expect(first.folders[0]!.flagsLeftOut).toEqual([
      { side: 'source', flag: '\\Seen', messages: 2 },
    ]);
    expect(formatImport(first)).toContain(
      'warning: Frozen cannot keep \\Seen (2) (not in its PERMANENTFLAGS): the post-read action left those messages unmarked',
    );
    expect(await flagsIn(source, 'Frozen')).toEqual({ f1: [], f2: [] });
    expect(await flagsIn(target, 'INBOX')).toEqual({ f1: [], f2: [] });

    // The marks are not owed to every later run: it has nothing to say.
    const second = await runImport(sourceConfig, spec);
    expect(second.totals).toMatchObject({ copied: 0 });
    expect(second.folders[0]!.flagsLeftOut).toBeUndefined();
  }, 60_000);

  it('applyActions sets what the folder keeps and warns of the rest', async () => {
    const user = newUser();
    await seedMailbox(server, user, { Locked: [{ source: message('a1') }] });
    const config = makeConfig(user, { server: server.host, port: server.imapPort });
    const page = await read(config, 'ALL FOLDER Locked');
    const result = await applyActions(config, {
      ids: page.rows.map((row) => (row as { id: string }).id),
      markSeen: true,
      flags: ['$Done', '\\Flagged'],
    });
    expect(result.acknowledged).toBe(1);
    expect(result.folders[0]!.flagsLeftOut).toEqual(['$Done', '\\Flagged']);
    expect(result.warnings).toEqual([
      'Locked: the folder cannot keep $Done, \\Flagged (not in its PERMANENTFLAGS), so the 1 messages were not given them',
    ]);
    expect(await flagsIn(user, 'Locked')).toEqual({ a1: ['\\Seen'] });
  }, 60_000);

  it('write() stores what the folder keeps and says what each message lost', async () => {
    const user = newUser();
    await seedMailbox(server, user, { Locked: [] });
    const config = makeConfig(user, {
      server: server.host,
      port: server.imapPort,
      isTarget: true,
      isSource: false,
    });
    const raw = (subject: string) => message(subject).toString('base64');
    const result = await write(config, {
      folder: 'Locked',
      messages: [
        { raw: raw('w1'), flags: ['\\Seen', '$Label1'] },
        { raw: raw('w2'), flags: ['\\Seen'] },
      ],
    });
    expect(result.results).toEqual([
      { index: 0, status: 'stored', uid: expect.any(Number), flagsLeftOut: ['$Label1'] },
      { index: 1, status: 'stored', uid: expect.any(Number) },
    ]);
    expect(await flagsIn(user, 'Locked')).toEqual({ w1: ['\\Seen'], w2: ['\\Seen'] });
  }, 60_000);
});

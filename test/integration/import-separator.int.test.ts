/**
 * Import between servers that disagree on the hierarchy separator and on what the special-use
 * folders are called: the main test Dovecot ("/", Sent) as source, a second one (".", "Sent
 * Items", "Deleted Items") as target.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/index.js';
import { CORPUS } from '../helpers/corpus.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

let other: DovecotServer;
const TARGET = { name: 'dotted', password: 'dotted-password' };

beforeAll(async () => {
  other = await startDovecot({
    users: [TARGET],
    namespace: { separator: '.', specialUseNames: { Sent: 'Sent Items', Trash: 'Deleted Items' } },
  });
});
afterAll(async () => {
  await other?.stop();
});

describe('import across hierarchy separators and special-use names', () => {
  it('maps / to . and sends \\Sent to "Sent Items"', async () => {
    const source = freshUser('sp');
    // A name holding the target's separator (v1.2) cannot exist on this source: Dovecot's
    // Maildir++ store refuses "." in names. map-folder's unit test covers it.
    await seedMailbox(dovecot(), source, CORPUS);
    const state = join(tempDir(), 'state.db');
    const targetConfig = {
      server: other.host,
      port: other.imapPort,
      security: 'none',
      username: TARGET.name,
      password: TARGET.password,
      isTarget: true,
    };
    const result = await runImport(makeConfig(source), {
      destination: { connection: targetConfig, state },
    });
    const mapped = Object.fromEntries(
      result.folders.filter((f) => f.seen > 0).map((f) => [f.folder, f.destination]),
    );
    expect(mapped).toEqual({
      INBOX: 'INBOX',
      'Archiv/2024': 'Archiv.2024',
      Sent: 'Sent Items',
      Überweisungen: 'Überweisungen',
    });
    const from = await snapshot(source);
    const to = await snapshot(TARGET, other);
    for (const [sourceFolder, targetFolder] of Object.entries(mapped))
      expect(to[targetFolder], targetFolder).toEqual(from[sourceFolder]);
    expect(Object.keys(to).sort()).toEqual(Object.values(mapped).sort());
  });
});

/**
 * A target that has never had a Sent folder, and a folder prefix (issue 9): the first run
 * creates Mig/Sent, and imapflow then guesses \Sent for it from its name. Later runs once took
 * that guess for the target's Sent folder and sent new mail to Mig/Mig/Sent; with a fresh state
 * the Sent mail was copied again. Special use now counts only when the server declares it, and
 * each job records where it put every folder.
 */
describe('import with a prefix into a target without special-use folders', () => {
  let bare: DovecotServer;
  const USER = { name: 'bare', password: 'bare-password' };
  beforeAll(async () => {
    bare = await startDovecot({ users: [USER], namespace: { specialUse: false } });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it('keeps sending Sent mail to Mig/Sent on every run, and a fresh state copies nothing twice', async () => {
    const source = freshUser('mg');
    await seedMailbox(dovecot(), source, {
      INBOX: [{ source: 'Subject: in\r\nMessage-ID: <in@x>\r\n\r\nx\r\n' }],
      Sent: [{ source: 'Subject: sent 1\r\nMessage-ID: <s1@x>\r\n\r\nx\r\n' }],
    });
    const dir = tempDir();
    const target = {
      server: bare.host,
      port: bare.imapPort,
      security: 'none',
      username: USER.name,
      password: USER.password,
      isTarget: true,
    };
    const spec = (state: string) => ({
      destination: { connection: target, state },
      folderPrefix: 'Mig',
    });
    const first = await runImport(makeConfig(source), spec(join(dir, 'state.db')));
    expect(first.folders.map((f) => [f.folder, f.destination])).toEqual(
      [
        ['INBOX', 'Mig/INBOX'],
        ['Drafts', 'Mig/Drafts'],
        ['Junk', 'Mig/Junk'],
        ['Sent', 'Mig/Sent'],
        ['Trash', 'Mig/Trash'],
      ].filter(([folder]) => first.folders.some((f) => f.folder === folder)),
    );
    await seedMailbox(dovecot(), source, {
      Sent: [{ source: 'Subject: sent 2\r\nMessage-ID: <s2@x>\r\n\r\nx\r\n' }],
    });
    const second = await runImport(makeConfig(source), spec(join(dir, 'state.db')));
    expect(second.folders.find((f) => f.folder === 'Sent')).toMatchObject({
      destination: 'Mig/Sent',
      copied: 1,
    });
    const fresh = await runImport(makeConfig(source), spec(join(dir, 'fresh-state.db')));
    expect(fresh.totals).toMatchObject({ copied: 0, duplicates: 3 });
    const folders = Object.keys(await snapshot(USER, bare)).sort();
    expect(folders).toEqual(['Mig/INBOX', 'Mig/Sent']);
  });
});

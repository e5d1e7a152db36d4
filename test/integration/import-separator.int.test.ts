/**
 * Import between servers that disagree on the hierarchy separator and on what the special-use
 * folders are called: the main test Dovecot ("/", Sent) as source, a second one (".", "Sent
 * Items", "Deleted Items") as target.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runImport } from '../../src/index.js';
import { CORPUS } from '../helpers/corpus.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';

let other: DovecotServer;
const TARGET = { name: 'dotted', password: 'dotted-password' };

beforeAll(async () => {
  other = await startDovecot({ users: [TARGET], namespace: { separator: '.', specialUseNames: { Sent: 'Sent Items', Trash: 'Deleted Items' } } });
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
    const state = join(mkdtempSync(join(tmpdir(), 'imap-separator-')), 'state.db');
    const targetConfig = { server: other.host, port: other.imapPort, security: 'none', username: TARGET.name, password: TARGET.password, isTarget: true };
    const result = await runImport(makeConfig(source), { destination: { connection: targetConfig, state } });
    const mapped = Object.fromEntries(result.folders.filter((f) => f.seen > 0).map((f) => [f.folder, f.destination]));
    expect(mapped).toEqual({ INBOX: 'INBOX', 'Archiv/2024': 'Archiv.2024', Sent: 'Sent Items', 'Überweisungen': 'Überweisungen' });
    const from = await snapshot(source);
    const to = await snapshot(TARGET, other);
    for (const [sourceFolder, targetFolder] of Object.entries(mapped)) expect(to[targetFolder], targetFolder).toEqual(from[sourceFolder]);
    expect(Object.keys(to).sort()).toEqual(Object.values(mapped).sort());
  });
});

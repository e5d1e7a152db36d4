/**
 * Mailbox-to-mailbox import against the private Dovecot: two users, one the source and one
 * the target, compared message for message (Message-ID, size, a hash of the exact bytes,
 * flags, internal date) and folder for folder.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runImport, type ImportResult } from '../../src/index.js';
import { CORPUS, corpusUser } from '../helpers/corpus.js';
import { freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';

const TOTAL = Object.values(CORPUS).flat().length;
const tempFile = (name: string): string => join(mkdtempSync(join(tmpdir(), 'imap-import-')), name);

function target(user: { name: string; password: string }, state: string, overrides: Record<string, unknown> = {}): { connection: Record<string, unknown>; state: string } {
  return { connection: makeConfig(user, { isTarget: true, isSource: false, ...overrides }), state };
}

describe('import into another IMAP account', () => {
  it('copies every folder and message with flags and internal dates, then copies nothing on a second run', async () => {
    const source = await corpusUser('is');
    const destination = freshUser('it');
    const state = tempFile('state.db');
    const first: ImportResult = await runImport(makeConfig(source), { destination: target(destination, state) });
    expect(first.totals).toMatchObject({ seen: TOTAL, copied: TOTAL, duplicates: 0, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
    const inbox = first.folders.find((folder) => folder.folder === 'INBOX')!;
    expect(inbox).toMatchObject({ destination: 'INBOX', copied: CORPUS.INBOX!.length });
    expect(first.totals.bytes).toBeGreaterThan(20000);

    const second = await runImport(makeConfig(source), { destination: target(destination, state) });
    expect(second.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
    expect(await snapshot(destination)).toEqual(await snapshot(source));
  });
});

/**
 * test-query, read and discover from the command line: NDJSON output, --all with --state and
 * --out across runs, resuming after a run that died mid-page, and exit codes per error class.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { CORPUS, corpusUser, message } from '../helpers/corpus.js';
import { cliConnection, dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOTAL = Object.values(CORPUS).flat().length;
const connection = cliConnection;
const lines = (path: string): { id: string; folder: string; subject: string }[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: string; folder: string; subject: string });

describe('imap-connector read', () => {
  it('prints one page as NDJSON and the cursor for the next on stderr', async () => {
    const user = await corpusUser();
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(['read', ...connection(user), '--query', 'ALL', '--page-size', '3'], io),
    ).toBe(0);
    expect(
      io
        .out()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { subject: string }).subject),
    ).toEqual(['Quarterly numbers', 'Überweisung erhalten', 'Invoice 2024-001']);
    const cursor = /cursor: (\S+)/.exec(io.err())![1]!;
    const next = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(
        ['read', ...connection(user), '--query', 'ALL', '--page-size', '3', '--cursor', cursor],
        next,
      ),
    ).toBe(0);
    expect((JSON.parse(next.out().split('\n')[0]!) as { subject: string }).subject).toBe(
      'Nightly job finished',
    );
  });

  it('reads everything with --all, then only new mail on the next run with the same --state', async () => {
    const user = await corpusUser();
    const dir = tempDir();
    const args = [
      'read',
      ...connection(user),
      '--query',
      'ALL',
      '--all',
      '--page-size',
      '4',
      '--state',
      join(dir, 'state.json'),
      '--out',
      join(dir, 'rows.ndjson'),
    ];
    expect(await main(args, captureIo({ IMAP_PASSWORD: user.password }))).toBe(0);
    expect(lines(join(dir, 'rows.ndjson'))).toHaveLength(TOTAL);
    await seedMailbox(dovecot(), user, { INBOX: [{ source: message('Later') }] });
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(args, io)).toBe(0);
    expect(io.err()).toContain('1 rows; done.');
    const all = lines(join(dir, 'rows.ndjson'));
    expect(all).toHaveLength(TOTAL + 1);
    expect(all.at(-1)!.subject).toBe('Later');
  });

  it('reads one stream with --stream, another later from the same --state, and restarts a changed one on request', async () => {
    const user = freshUser();
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: message('Inbox mail') }],
      Sent: [{ source: message('Sent mail') }],
    });
    const dir = tempDir();
    const state = join(dir, 'state.json');
    const run = async (
      ...extra: string[]
    ): Promise<{ code: number; rows: string[]; err: string }> => {
      const out = join(dir, `rows-${Math.random()}.ndjson`);
      const io = captureIo({ IMAP_PASSWORD: user.password });
      const code = await main(
        ['read', ...connection(user), '--all', '--state', state, '--out', out, ...extra],
        io,
      );
      const rows = code === 0 ? lines(out).map((r) => `${r.folder}: ${r.subject}`) : [];
      return { code, rows, err: io.err() };
    };
    expect((await run('--query', 'ALL', '--stream', 'Sent')).rows).toEqual(['Sent: Sent mail']);
    expect((await run('--query', 'ALL', '--stream', 'INBOX')).rows).toEqual(['INBOX: Inbox mail']);
    expect((await run('--query', 'ALL')).rows).toEqual([]);
    const changed = await run('--query', 'FROM "sender@example.com"', '--stream', 'INBOX');
    expect(changed.code).toBe(8);
    expect(changed.err).toContain('CURSOR_INVALID');
    expect(changed.err).toContain('"INBOX"');
    const restarted = await run(
      '--query',
      'FROM "sender@example.com"',
      '--stream',
      'INBOX',
      '--restart-changed-folders',
    );
    expect(restarted.rows).toEqual(['INBOX: Inbox mail']);
    expect(restarted.err).toContain('INBOX: the search changed');
  });

  it('cuts rows written after the last checkpoint when a run resumes, so none is doubled', async () => {
    const user = await corpusUser();
    const dir = tempDir();
    const out = join(dir, 'rows.ndjson');
    const state = join(dir, 'state.json');
    expect(
      await main(
        [
          'read',
          ...connection(user),
          '--query',
          'ALL',
          '--page-size',
          '4',
          '--state',
          state,
          '--out',
          out,
        ],
        captureIo({ IMAP_PASSWORD: user.password }),
      ),
    ).toBe(0);
    // A run that died mid-page had already written some rows of the next page.
    appendFileSync(out, '{"id":"half-written"}\n{"id":"never-committed"');
    expect(
      await main(
        ['read', ...connection(user), '--query', 'ALL', '--all', '--state', state, '--out', out],
        captureIo({ IMAP_PASSWORD: user.password }),
      ),
    ).toBe(0);
    const ids = lines(out).map((r) => r.id);
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect(ids).not.toContain('half-written');
  });

  it('exits 6 for a query error and 8 for a foreign cursor', async () => {
    const user = await corpusUser();
    const bad = captureIo({ IMAP_PASSWORD: user.password });
    expect(await main(['read', ...connection(user), '--query', 'SINCE someday'], bad)).toBe(6);
    expect(bad.err()).toContain(
      'FAILED  QUERY_INVALID  line 1, column 7: expected a date after SINCE, got "someday"',
    );
    const cursor = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(['read', ...connection(user), '--query', 'ALL', '--cursor', 'abc'], cursor),
    ).toBe(8);
  });
});

describe('imap-connector test-query and discover', () => {
  it('shows the search per folder and the match counts', async () => {
    const user = await corpusUser();
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(
        ['test-query', ...connection(user), '--query', 'FROM "alice@example.com"', '--sample', '0'],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toContain('OK  2 messages match in');
    expect(io.out()).toContain('INBOX: 1 of 7 match');
    expect(io.out()).toContain('      UID SEARCH RETURN (ALL) FROM "alice@example.com"');
  });

  it('prints the schema of projected rows', async () => {
    const user = await corpusUser();
    const io = captureIo({ IMAP_PASSWORD: user.password });
    expect(
      await main(
        ['discover', ...connection(user), '--query', 'ALL', '--select', '{"s": subject}'],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({
      schema: { type: 'object', properties: { s: { type: 'string' } } },
      streams: expect.arrayContaining([expect.objectContaining({ name: 'INBOX' })]),
      warnings: [],
    });
  });

  it.each(['read', 'test-query', 'discover'])('%s --help explains the command', async (command) => {
    const io = captureIo();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(io.out()).toContain(`Usage: imap-connector ${command}`);
    expect(io.out()).toContain('--query');
  });
});

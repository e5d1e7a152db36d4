/**
 * imap-connector import and archive, run in-process: what a person sees, what --json gives,
 * and the exit codes.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { ImportResult } from '../../src/index.js';
import { captureIo } from '../helpers/capture-io.js';
import { CORPUS, corpusUser, message } from '../helpers/corpus.js';
import { addDovecotUsers } from '../helpers/dovecot.js';
import { cliConnection, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOTAL = Object.values(CORPUS).flat().length;
const sourceFlags = cliConnection;

describe('imap-connector import', () => {
  it('imports into an archive and says per folder what it did; the second run copies nothing', async () => {
    const source = await corpusUser('ci');
    const archive = join(tempDir(), 'mail.archive');
    const io = captureIo({ IMAP_PASSWORD: source.password });
    expect(await main(['import', ...sourceFlags(source), '--archive', archive], io)).toBe(0);
    expect(io.out()).toMatch(
      /^ {2}INBOX -> INBOX: 7 seen, 7 copied, 0 duplicates, 0 failed, \d+ bytes, [\d.]+s$/m,
    );
    expect(io.out()).toMatch(/^ {2}Überweisungen -> Überweisungen: 1 seen, 1 copied/m);
    expect(io.out()).toMatch(
      new RegExp(`^OK {2}${TOTAL} seen, ${TOTAL} copied, 0 duplicates, 0 failed`, 'm'),
    );

    const again = captureIo({ IMAP_PASSWORD: source.password });
    expect(
      await main(['import', ...sourceFlags(source), '--archive', archive, '--json'], again),
    ).toBe(0);
    const result = JSON.parse(again.out()) as ImportResult;
    expect(result.totals).toMatchObject({ seen: 0, copied: 0, failed: 0 });
  });

  it('imports into another account with a prefix and a mapping, the target password from IMAP_TARGET_PASSWORD', async () => {
    const source = await corpusUser('cs');
    const target = freshUser('ct');
    const dir = tempDir();
    writeFileSync(
      join(dir, 'target.json'),
      JSON.stringify({ ...makeConfig(target), password: undefined, isTarget: true }),
    );
    const io = captureIo({ IMAP_PASSWORD: source.password, IMAP_TARGET_PASSWORD: target.password });
    const code = await main(
      [
        'import',
        ...sourceFlags(source),
        '--target',
        join(dir, 'target.json'),
        '--state',
        join(dir, 'state.db'),
        '--folder-prefix',
        'Imported',
        '--map',
        'Sent=Old Sent',
        '--query',
        'ALL FOLDER INBOX FOLDER Sent',
        '--json',
      ],
      io,
    );
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(io.out()) as ImportResult;
    expect(result.folders.map((f) => [f.folder, f.destination, f.copied])).toEqual([
      ['INBOX', 'Imported/INBOX', 7],
      ['Sent', 'Old Sent', 1],
    ]);
  });

  it('exits 9 and lists the failed messages when the target refuses some', async () => {
    const source = freshUser('cf');
    await seedMailbox(dovecot(), source, {
      INBOX: [
        { source: message('Fits') },
        { source: message('Too big', { body: 'z'.repeat(12000) }) },
      ],
    });
    const target = {
      name: `cl${randomBytes(4).toString('hex')}`,
      password: `pw-${randomBytes(6).toString('hex')}`,
    };
    addDovecotUsers(dovecot(), [{ ...target, maxMailSize: '4k' }]);
    const dir = tempDir();
    writeFileSync(
      join(dir, 'target.json'),
      JSON.stringify({ ...makeConfig(target), isTarget: true }),
    );
    const io = captureIo({ IMAP_PASSWORD: source.password });
    expect(
      await main(
        [
          'import',
          ...sourceFlags(source),
          '--target',
          join(dir, 'target.json'),
          '--state',
          join(dir, 'state.db'),
        ],
        io,
      ),
    ).toBe(9);
    expect(io.out()).toMatch(
      /failed UID 2 in INBOX: MESSAGE_TOO_LARGE The message \(\d+ bytes\) is larger than "INBOX" accepts/,
    );
    expect(io.out()).toMatch(/^DONE WITH FAILURES {2}2 seen, 1 copied, 0 duplicates, 1 failed/m);
  });

  it('rejects bad usage before connecting, naming what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [[], /give --archive FILE or --target FILE --state FILE/],
      [['--target', 't.json'], /--state FILE is needed with --target/],
      [['--archive', 'a', '--target', 't.json'], /either --archive or --target, not both/],
      [
        ['--archive', 'a', '--after', 'shred'],
        /--after must be none, mark-seen, keyword:NAME, move:FOLDER, delete or delete-older-than:DAYSd/,
      ],
      [
        ['--archive', 'a', '--map', 'nothing'],
        /folder mapping "nothing" must be written Source=Target/,
      ],
      [['--archive', 'a', '--dedupe', 'maybe'], /dedupe must be one of message-id, hash, none/],
      [['--archive', 'a', '--query', 'FROM'], /QUERY_INVALID/],
    ];
    for (const [args, expected] of cases) {
      const io = captureIo({ IMAP_PASSWORD: 'x' });
      const code = await main(
        [
          'import',
          '--server',
          '127.0.0.1',
          '--port',
          '1',
          '--security',
          'none',
          '--username',
          'u',
          ...args,
        ],
        io,
      );
      expect(io.err(), args.join(' ')).toMatch(expected);
      expect(code, args.join(' ')).toBe(expected.source === 'QUERY_INVALID' ? 6 : 2);
    }
  });

  it('shows a progress line on a terminal, and none when stderr is not one', async () => {
    const source = freshUser('cp');
    await seedMailbox(dovecot(), source, {
      INBOX: Array.from({ length: 3 }, (_, i) => ({ source: message(`Progress ${i}`) })),
    });
    const io = captureIo({ IMAP_PASSWORD: source.password });
    Object.assign(io.stderr, { isTTY: true });
    expect(
      await main(['import', ...sourceFlags(source), '--archive', join(tempDir(), 'p.archive')], io),
    ).toBe(0);
    // The line is redrawn on a timer; the last drawing, at the end, has the final counts.
    const drawings = io.err().split('\r').slice(1);
    expect(io.err().endsWith('\n')).toBe(true);
    expect(drawings.at(-1)!.trim()).toMatch(
      /^INBOX: 3 seen, 3 copied, 0 duplicates, 0 failed( {2}\d+ messages\/s)?$/,
    );
    const quiet = captureIo({ IMAP_PASSWORD: source.password });
    expect(
      await main(
        ['import', ...sourceFlags(source), '--archive', join(tempDir(), 'q.archive')],
        quiet,
      ),
    ).toBe(0);
    expect(quiet.err()).toBe('');
  });

  it('prints help', async () => {
    const io = captureIo();
    expect(await main(['import', '--help'], io)).toBe(0);
    expect(io.out()).toContain('--after ACTION');
    const archive = captureIo();
    expect(await main(['archive'], archive)).toBe(2);
    expect(archive.out()).toContain('export --format mbox --out FILE');
  });
});

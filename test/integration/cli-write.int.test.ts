/**
 * imap-connector write (issue 9: the CLI had no write command): .eml files, and rows read with
 * --raw from one account stored in another, exactly once however often it runs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { cliConnection, dovecot, freshUser } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const connection = cliConnection;

describe('imap-connector write', () => {
  it('stores .eml files in a new folder once, and says so on the second run', async () => {
    const target = freshUser('cw');
    const dir = tempDir();
    const files = [1, 2].map((i) => {
      const path = join(dir, `${i}.eml`);
      writeFileSync(
        path,
        `Message-ID: <cli-write-${i}@x>\r\nSubject: written ${i}\r\nFrom: a@example.org\r\n\r\nbody ${i}\r\n`,
      );
      return path;
    });
    const first = captureIo({ IMAP_PASSWORD: target.password });
    expect(
      await main(
        ['write', ...connection(target), '--folder', 'Imported', '--flags', '\\Seen', ...files],
        first,
      ),
    ).toBe(0);
    expect(first.out()).toBe('OK  Imported (created): 2 stored, 0 already there, 0 failed\n');
    const again = captureIo({ IMAP_PASSWORD: target.password });
    expect(
      await main(['write', ...connection(target), '--folder', 'Imported', ...files], again),
    ).toBe(0);
    expect(again.out()).toBe('OK  Imported: 0 stored, 2 already there, 0 failed\n');
    const stored = (await snapshot(target)).Imported!;
    expect(stored.map((m) => [m.messageId, m.flags])).toEqual(
      expect.arrayContaining([
        ['<cli-write-1@x>', ['\\Seen']],
        ['<cli-write-2@x>', ['\\Seen']],
      ]),
    );
  });

  it('stores the rows another account gave with read --raw, byte for byte', async () => {
    const source = freshUser('cr');
    const target = freshUser('ct');
    await seedMailbox(dovecot(), source, {
      INBOX: [1, 2, 3].map((i) => ({
        source: `Message-ID: <rows-${i}@x>\r\nSubject: row ${i}\r\n\r\nx${i}\r\n`,
        flags: i === 2 ? ['\\Flagged'] : [],
      })),
    });
    const rows = join(tempDir(), 'rows.ndjson');
    expect(
      await main(
        ['read', ...connection(source), '--query', 'ALL', '--all', '--raw', '--out', rows],
        captureIo({ IMAP_PASSWORD: source.password }),
      ),
    ).toBe(0);
    const io = captureIo({ IMAP_PASSWORD: target.password });
    expect(await main(['write', ...connection(target), '--rows', rows], io)).toBe(0);
    const sha = (snap: Awaited<ReturnType<typeof snapshot>>) =>
      snap.INBOX!.map((m) => [m.sha256, m.flags]);
    expect(sha(await snapshot(target))).toEqual(sha(await snapshot(source)));
  });

  it('names the line of --rows that is not a row, before connecting', async () => {
    const rows = join(tempDir(), 'rows.ndjson');
    writeFileSync(rows, '{"raw":"eA=="}\nnot json\n');
    const io = captureIo({ IMAP_PASSWORD: 'x' });
    expect(
      await main(
        [
          'write',
          '--server',
          '127.0.0.1',
          '--port',
          '1',
          '--security',
          'none',
          '--username',
          'u',
          '--rows',
          rows,
        ],
        io,
      ),
    ).toBe(2);
    expect(io.err()).toMatch(/line 2 of --rows is not JSON/);
  });

  it('refuses a connection file that says isTarget false, as the library does, storing nothing (issue 24)', async () => {
    const target = freshUser('cn');
    const dir = tempDir();
    const eml = join(dir, 'one.eml');
    writeFileSync(eml, 'Message-ID: <not-a-target@x>\r\nSubject: no\r\n\r\nx\r\n');
    const config = join(dir, 'source-only.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: dovecot().host,
        port: dovecot().imapPort,
        security: 'none',
        username: target.name,
        isTarget: false,
      }),
    );
    const io = captureIo({ IMAP_PASSWORD: target.password });
    expect(await main(['write', '--config', config, eml], io)).toBe(2);
    expect(io.err()).toMatch(/CONFIG_INVALID .*isTarget must be true/);
    expect(await snapshot(target)).toEqual({});
  });
});

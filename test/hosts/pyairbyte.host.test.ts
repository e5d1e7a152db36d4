/**
 * The Airbyte source inside PyAirbyte (the `airbyte` package on PyPI), as a data engineer runs
 * it: get_source with the connector's executable, check(), select all streams, read() into
 * PyAirbyte's default local cache (DuckDB). The cached rows equal the mailbox; after new mail a
 * second read() brings only the new rows (the cache keeps the per-stream state). Every message
 * also parses with airbyte-protocol-models (test/hosts/pyairbyte_sync.py).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { connectorExecutable, filesContaining, hostBin, runHost } from '../helpers/hosts.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('pyairbyte_sync.py', import.meta.url));

interface SyncResult {
  streams: string[];
  rows: Record<
    string,
    {
      id: string;
      uid: number;
      subject: string;
      folder: string;
      flags: string[];
      deleted: string | null;
    }[]
  >;
  processed: number;
  protocol: Record<string, number>;
  /** Everything PyAirbyte and the source printed. */
  log: string;
}

async function pyairbyteSync(
  venv: 'airbyte' | 'airbyte-current',
  executable: string,
  config: string,
  work: string,
): Promise<SyncResult> {
  const run = await runHost(join(hostBin(venv), 'python'), [SCRIPT, executable, config, work]);
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.code !== 0 || !line)
    throw new Error(`PyAirbyte failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as Omit<SyncResult, 'log'>;
  return { ...result, log: run.stdout + run.stderr };
}

// The mailbox shapes of the bench: streams of nested, non-Latin, spaced and `&` folders must
// reach PyAirbyte's cache under names it accepts (0.12's cache took the name as a file path;
// every version refuses a name with no Latin letter or digit).
const SHAPED = ['Archive/2023', '日本語', 'Sent Items', 'R&D'];

describe.each([
  ['0.12.1 (the project pin)', 'airbyte'],
  ['the current release', 'airbyte-current'],
] as const)('the Airbyte source in PyAirbyte %s', (_version, venv) => {
  it('check, read into the local cache, then only new mail; every folder shape; no secret in the cache or output', async () => {
    const dir = tempDir('pyairbyte-');
    const user = freshUser('pa');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 6),
      Archive: numberedMail('Archive', 1, 3),
      ...Object.fromEntries(SHAPED.map((folder, n) => [folder, numberedMail(`Shape${n}`, 1, 2)])),
    });
    const server = dovecot();
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: server.host,
        port: server.imapPort,
        security: 'none',
        authentication: { authMethod: 'password', username: user.name, password: user.password },
      }),
    );
    const executable = connectorExecutable(dir, 'airbyte');
    const shapedRows = (result: SyncResult, n: number) =>
      Object.values(result.rows).find(
        (rows) => rows[0]?.subject === subjects(`Shape${n}`, 1, 1)[0],
      );

    const first = await pyairbyteSync(venv, executable, config, dir);
    expect(first.streams).toEqual(expect.arrayContaining(['INBOX', 'Archive']));
    expect(first.rows.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 1, 6));
    expect(first.rows.Archive!.map((r) => r.subject)).toEqual(subjects('Archive', 1, 3));
    SHAPED.forEach((folder, n) => {
      const rows = shapedRows(first, n);
      expect(
        rows?.map((r) => r.subject),
        folder,
      ).toEqual(subjects(`Shape${n}`, 1, 2));
      expect(rows?.every((r) => r.folder === folder)).toBe(true);
    });
    expect(first.processed).toBe(9 + SHAPED.length * 2);
    expect(first.protocol).toMatchObject({ RECORD: 9 + SHAPED.length * 2 });
    expect(first.protocol.STATE).toBeGreaterThanOrEqual(first.streams.length);

    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 7, 2),
      'Archive/2023': numberedMail('Shape0', 3, 1),
    });
    const second = await pyairbyteSync(venv, executable, config, dir);
    expect(second.processed).toBe(3);
    expect(second.rows.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 1, 8));
    expect(shapedRows(second, 0)!.map((r) => r.subject)).toEqual(subjects('Shape0', 1, 3));
    const ids = Object.values(second.rows)
      .flat()
      .map((r) => r.id);
    expect(new Set(ids).size).toBe(12 + SHAPED.length * 2);

    // The config file holds it by design; nothing PyAirbyte or the source wrote may.
    const leaks = filesContaining(dir, user.password).filter((path) => path !== config);
    expect(leaks).toEqual([]);
    expect(JSON.stringify([first, second])).not.toContain(user.password);
  });
});

// The change feed in the project pin only: the protocol is the same for both, and CI time counts.
describe('the Airbyte source in PyAirbyte 0.12.1 with the change feed', () => {
  const venv = 'airbyte';
  it('the cache, read as the marker says, equals the mailbox after flag changes and deletions', async () => {
    const dir = tempDir('pyairbyte-changes-');
    const user = freshUser('pc');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 4) });
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        server: dovecot().host,
        port: dovecot().imapPort,
        security: 'none',
        authentication: { authMethod: 'password', username: user.name, password: user.password },
        query: 'FOLDER INBOX ALL',
        changes: true,
      }),
    );
    const executable = connectorExecutable(dir, 'airbyte');
    const first = await pyairbyteSync(venv, executable, config, dir);
    expect(first.rows.INBOX!.map((r) => [r.subject, r.deleted])).toEqual(
      subjects('INBOX', 1, 4).map((s) => [s, null]),
    );
    await withImapClient(user, dovecot(), async (client) => {
      await client.mailboxOpen('INBOX');
      await client.messageFlagsAdd({ subject: 'INBOX 1' }, ['\\Flagged']);
      await client.messageDelete({ subject: 'INBOX 3' });
    });
    const second = await pyairbyteSync(venv, executable, config, dir);
    expect(second.processed).toBe(2);
    // One row per id (deduped by the primary key), the deleted one marked.
    const rows = second.rows.INBOX!;
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // The delete record (id, folder, uid and the marker) replaced INBOX 3's row under its id.
    const gone = first.rows.INBOX!.find((r) => r.subject === 'INBOX 3')!.id;
    expect(rows.filter((r) => r.deleted !== null).map((r) => r.id)).toEqual([gone]);
    const live = rows.filter((r) => r.deleted === null);
    expect(Object.fromEntries(live.map((r) => [r.subject, r.flags]))).toEqual(
      await withImapClient(user, dovecot(), async (client) => {
        await client.mailboxOpen('INBOX', { readOnly: true });
        const all = await client.fetchAll('1:*', { envelope: true, flags: true });
        return Object.fromEntries(
          all.map((m) => [m.envelope!.subject!, [...(m.flags ?? [])].sort()]),
        );
      }),
    );
  });
});

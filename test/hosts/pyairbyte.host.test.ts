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
import { dovecot, freshUser } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCRIPT = fileURLToPath(new URL('pyairbyte_sync.py', import.meta.url));

interface SyncResult {
  streams: string[];
  rows: Record<string, { id: string; uid: number; subject: string }[]>;
  processed: number;
  protocol: Record<string, number>;
  /** Everything PyAirbyte and the source printed. */
  log: string;
}

async function pyairbyteSync(
  executable: string,
  config: string,
  work: string,
): Promise<SyncResult> {
  const run = await runHost(join(hostBin('airbyte'), 'python'), [SCRIPT, executable, config, work]);
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (run.code !== 0 || !line)
    throw new Error(`PyAirbyte failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(line.slice('RESULT '.length)) as Omit<SyncResult, 'log'>;
  return { ...result, log: run.stdout + run.stderr };
}

describe('the Airbyte source in PyAirbyte', () => {
  it('check, read into the local cache, then only new mail; no secret in the cache or output', async () => {
    const dir = tempDir('pyairbyte-');
    const user = freshUser('pa');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 6),
      Archive: numberedMail('Archive', 1, 3),
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

    const first = await pyairbyteSync(executable, config, dir);
    expect(first.streams).toEqual(expect.arrayContaining(['INBOX', 'Archive']));
    expect(first.rows.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 1, 6));
    expect(first.rows.Archive!.map((r) => r.subject)).toEqual(subjects('Archive', 1, 3));
    expect(first.processed).toBe(9);
    expect(first.protocol).toMatchObject({ RECORD: 9 });
    expect(first.protocol.STATE).toBeGreaterThanOrEqual(first.streams.length);

    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 7, 2),
      Archive: numberedMail('Archive', 4, 1),
    });
    const second = await pyairbyteSync(executable, config, dir);
    expect(second.processed).toBe(3);
    expect(second.rows.INBOX!.map((r) => r.subject)).toEqual(subjects('INBOX', 1, 8));
    expect(second.rows.Archive!.map((r) => r.subject)).toEqual(subjects('Archive', 1, 4));
    const ids = Object.values(second.rows)
      .flat()
      .map((r) => r.id);
    expect(new Set(ids).size).toBe(12);

    // The config file holds it by design; nothing PyAirbyte or the source wrote may.
    const leaks = filesContaining(dir, user.password).filter((path) => path !== config);
    expect(leaks).toEqual([]);
    expect(JSON.stringify([first, second])).not.toContain(user.password);
  });
});

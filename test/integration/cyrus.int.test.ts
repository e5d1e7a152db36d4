/**
 * Interop with a second real server (issue 12): the core operations against a private Cyrus
 * IMAP 3.6 (helpers/cyrus.ts), where the rest of the suite runs on Dovecot. Cyrus differs where
 * it matters to a connector: its own UIDVALIDITY and UID assignment, a different capability
 * list (ESEARCH, CONDSTORE, OBJECTID, no SPECIAL-USE folders made by default), the alternate
 * namespace, its own LIST answers and APPENDUID. Test connection, read with cursors, imports
 * both ways and the archive's export; the live-mailbox scenarios (issue 29) as on Courier.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive, exportEml } from '../../src/archive.js';
import { read, runImport, testConnection } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { startCyrus, type CyrusServer } from '../helpers/cyrus.js';
import {
  changeFeedKeepsHostEqual,
  importRerunSyncsFlags,
  watchBringsEachOnce,
} from '../helpers/live-scenarios.js';
import { configFor, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

let cyrus: CyrusServer;
let users = 0;

beforeAll(async () => {
  // The first run on a machine downloads and unpacks Cyrus and installs its libraries.
  cyrus = await startCyrus();
}, 600_000);

afterAll(async () => {
  await cyrus?.stop();
});

/** A new Cyrus user; its INBOX is made on its first login. */
function cyrusUser(): { name: string; password: string } {
  users += 1;
  const user = { name: `cy${process.pid}u${users}`, password: `cyrus-pw-${users}` };
  cyrus.addUsers([user]);
  return user;
}

const cyrusConfig = (
  user: { name: string; password: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> => configFor(cyrus, user, extra);

const MAIL = {
  INBOX: Array.from({ length: 7 }, (_, i) => ({
    source: message(`Cyrus inbox ${i}`, { body: `line ${i}\r\n`.repeat(30 + i * 40) }),
    flags: i % 2 === 0 ? ['\\Seen'] : [],
  })),
  'Projects/2026': [
    { source: message('Cyrus project plan', { body: 'plan\r\n'.repeat(500) }) },
    { source: message('Cyrus no id', { id: null }) },
  ],
};

/** Folder -> sorted SHA-256 of every message, from a snapshot. */
function hashes(folders: Awaited<ReturnType<typeof snapshot>>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(folders).map(([folder, list]) => [folder, list.map((m) => m.sha256).sort()]),
  );
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('Cyrus IMAP', () => {
  let source: { name: string; password: string };
  let expected: Record<string, string[]>;

  beforeAll(async () => {
    source = cyrusUser();
    await seedMailbox(cyrus, source, MAIL);
    expected = hashes(await snapshot(source, cyrus));
    expect(Object.keys(expected).sort()).toEqual(['INBOX', 'Projects/2026']);
  });

  it('passes Test Connection and lists its folders', async () => {
    const result = await testConnection(cyrusConfig(source));
    expect(result).toMatchObject({ ok: true });
    // The change feed and flag sync below take their CHANGEDSINCE path here.
    expect(result.server?.capabilities).toContain('CONDSTORE');
    const folders = result.folders?.items.map((folder) => folder.path);
    expect(folders).toEqual(expect.arrayContaining(['INBOX', 'Projects/2026']));
  });

  it('reads page by page with cursors, then only what arrived since', async () => {
    const config = cyrusConfig(source);
    const subjects: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await read(config, 'ALL', { pageSize: 3, ...(cursor ? { cursor } : {}) });
      subjects.push(...page.rows.map((row) => (row as { subject: string }).subject));
      cursor = page.cursor;
      if (page.done) break;
    }
    expect(subjects).toHaveLength(9);
    expect(new Set(subjects).size).toBe(9);
    const empty = await read(config, 'ALL', { cursor: cursor! });
    expect(empty.rows).toEqual([]);
    await seedMailbox(cyrus, source, { INBOX: [{ source: message('Cyrus arrived later') }] });
    const later = await read(config, 'ALL', { cursor: empty.cursor });
    expect(later.rows.map((row) => (row as { subject: string }).subject)).toEqual([
      'Cyrus arrived later',
    ]);
    expected = hashes(await snapshot(source, cyrus));
  });

  it('is imported into Dovecot exactly, and a second run copies nothing', async () => {
    const target = freshUser('fromcy');
    const spec = {
      destination: {
        connection: makeConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir(), 'state.db'),
      },
    };
    const first = await runImport(cyrusConfig(source), spec);
    expect(first.totals).toMatchObject({ copied: 10, failed: 0 });
    expect(hashes(await snapshot(target))).toEqual(expected);
    const again = await runImport(cyrusConfig(source), spec);
    expect(again.totals.copied).toBe(0);
  });

  it('takes an import from Dovecot exactly, flags and dates included', async () => {
    const dovecotUser = freshUser('tocy');
    await seedMailbox(
      { host: '127.0.0.1', imapPort: Number(makeConfig(dovecotUser).port) },
      dovecotUser,
      MAIL,
    );
    const target = cyrusUser();
    const result = await runImport(makeConfig(dovecotUser), {
      destination: {
        connection: cyrusConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir(), 'state.db'),
      },
    });
    expect(result.totals).toMatchObject({ copied: 9, failed: 0 });
    const got = await snapshot(target, cyrus);
    const want = await snapshot(dovecotUser);
    expect(got).toEqual(want);
  });

  it('is archived and exported byte for byte', async () => {
    const dir = tempDir();
    const path = join(dir, 'cyrus.archive');
    const result = await runImport(cyrusConfig(source), { destination: { archive: path } });
    expect(result.totals).toMatchObject({ copied: 10, failed: 0 });
    const archive = Archive.open(path, { create: false, readonly: true });
    try {
      const exported = exportEml(archive, join(dir, 'eml'));
      expect(exported).toMatchObject({ messages: 10, damaged: [] });
    } finally {
      archive.close();
    }
    const files: string[] = [];
    const walk = (at: string): void => {
      for (const name of readdirSync(at)) {
        const path = join(at, name);
        if (statSync(path).isDirectory()) walk(path);
        else files.push(sha(readFileSync(path)));
      }
    };
    walk(join(dir, 'eml'));
    expect(files.sort()).toEqual(Object.values(expected).flat().sort());
  });

  // This private Cyrus advertises IDLE but, without its idled daemon wired up, tells an IDLE
  // session of new mail only at its own poll (60 s); the watch's restart read every 2 s is what
  // brings each message here. The point: a server whose pushes are late or missing still
  // gets every message to the host once.
  it('brings new mail to a watch on Cyrus by its restart reads, each message once', async () => {
    const user = cyrusUser();
    await watchBringsEachOnce(cyrus, user, cyrusConfig(user), 'Cyrus', 3);
  });

  it('keeps a host equal to the mailbox with changes on (CONDSTORE)', async () => {
    const user = cyrusUser();
    await changeFeedKeepsHostEqual(cyrus, user, cyrusConfig(user));
  });

  it('carries flag changes on an import rerun (CONDSTORE)', async () => {
    const user = cyrusUser();
    await importRerunSyncsFlags(cyrus, user, cyrusConfig(user));
  });
});

/**
 * Interop with a third real server (issue 29): a private Courier-IMAP 5 (helpers/courier.ts),
 * the one without CONDSTORE, QRESYNC or ESEARCH, whose sessions start PREAUTH. Where Dovecot and
 * Cyrus answer CHANGEDSINCE, the change feed and the flag sync of imports here take their
 * fallback (a FLAGS fetch compared with what the cursor or the job state remembers); the
 * host-visible result must be the same (helpers/live-scenarios.ts, run on all three servers).
 * Also test connection, reads with cursors, imports both ways and a watch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { read, runImport, testConnection } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { startCourier, type CourierMailbox, type CourierServer } from '../helpers/courier.js';
import {
  changeFeedKeepsHostEqual,
  importRerunSyncsFlags,
  watchBringsEachOnce,
} from '../helpers/live-scenarios.js';
import { configFor, freshUser, makeConfig } from '../helpers/make-config.js';
import { snapshot } from '../helpers/mailbox-snapshot.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

let courier: CourierServer;
let mailboxes = 0;

beforeAll(async () => {
  // The first run on a machine downloads and unpacks Courier-IMAP.
  courier = await startCourier();
}, 300_000);

afterAll(async () => {
  await courier?.stop();
});

/** A new Courier mailbox, and the user the tests' own IMAP client is (PREAUTH: never asked). */
async function courierMailbox(): Promise<CourierMailbox & { password: string }> {
  mailboxes += 1;
  const mailbox = await courier.addMailbox(`co${process.pid}m${mailboxes}`);
  return { ...mailbox, password: 'not-asked-preauth' };
}

const courierConfig = (
  mailbox: CourierMailbox & { password: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> => configFor(mailbox, mailbox, extra);

describe('Courier-IMAP (PREAUTH, no CONDSTORE)', () => {
  it('passes Test Connection, without CONDSTORE in its capabilities', async () => {
    const mailbox = await courierMailbox();
    const result = await testConnection(courierConfig(mailbox));
    expect(result).toMatchObject({ ok: true });
    expect(result.folders?.items.map((folder) => folder.path)).toContain('INBOX');
    expect(result.server?.capabilities).toContain('UIDPLUS');
    expect(result.server?.capabilities).not.toContain('CONDSTORE');
  });

  it('reads page by page with cursors, then only what arrived since', async () => {
    const mailbox = await courierMailbox();
    await seedMailbox(mailbox, mailbox, {
      INBOX: Array.from({ length: 7 }, (_, i) => ({ source: message(`Courier ${i}`) })),
    });
    const config = courierConfig(mailbox);
    const subjects: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await read(config, 'ALL', { pageSize: 3, ...(cursor ? { cursor } : {}) });
      subjects.push(...page.rows.map((row) => (row as { subject: string }).subject));
      cursor = page.cursor;
      if (page.done) break;
    }
    expect(subjects).toEqual(Array.from({ length: 7 }, (_, i) => `Courier ${i}`));
    await seedMailbox(mailbox, mailbox, { INBOX: [{ source: message('Courier later') }] });
    const later = await read(config, 'ALL', { cursor: cursor! });
    expect(later.rows.map((row) => (row as { subject: string }).subject)).toEqual([
      'Courier later',
    ]);
  });

  it('keeps a host equal to the mailbox with changes on (the fallback without CONDSTORE)', async () => {
    const mailbox = await courierMailbox();
    await changeFeedKeepsHostEqual(mailbox, mailbox, courierConfig(mailbox));
  });

  it('carries flag changes on an import rerun (the fallback without CONDSTORE)', async () => {
    const mailbox = await courierMailbox();
    await importRerunSyncsFlags(mailbox, mailbox, courierConfig(mailbox));
  });

  it('takes an import from Dovecot exactly, flags and dates included; a rerun copies nothing', async () => {
    const dovecotUser = freshUser('toco');
    await seedMailbox(
      { host: '127.0.0.1', imapPort: Number(makeConfig(dovecotUser).port) },
      dovecotUser,
      {
        INBOX: [1, 2, 3].map((n) => ({
          source: message(`To Courier ${n}`, { body: 'line\r\n'.repeat(200 * n) }),
          flags: n === 2 ? ['\\Seen', '\\Answered'] : [],
          internalDate: new Date(Date.UTC(2024, 0, n, 9)),
        })),
      },
    );
    const target = await courierMailbox();
    const spec = {
      destination: {
        connection: courierConfig(target, { isTarget: true, isSource: false }),
        state: join(tempDir(), 'state.db'),
      },
    };
    expect((await runImport(makeConfig(dovecotUser), spec)).totals).toMatchObject({
      copied: 3,
      failed: 0,
    });
    const got = await snapshot(target, target);
    expect(got.INBOX).toEqual((await snapshot(dovecotUser)).INBOX);
    expect((await runImport(makeConfig(dovecotUser), spec)).totals.copied).toBe(0);
  });

  it('brings new mail to a watch, each message once', async () => {
    const mailbox = await courierMailbox();
    await watchBringsEachOnce(mailbox, mailbox, courierConfig(mailbox), 'Courier', 2);
  });
});

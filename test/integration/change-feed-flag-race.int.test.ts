/**
 * On a server without CONDSTORE the change feed keeps a hash of each new message's flags as the
 * baseline the next run compares with. A flag change by another client between that flag FETCH
 * and the FETCH of the message's row must never be lost: it shows in the row, or it comes as an
 * update in the next run. The server is a real Dovecot (announcing no CONDSTORE); only the
 * moment of the change is staged, by running it just before or just after the flag FETCH.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { read } from '../../src/index.js';
import {
  addDovecotUsers,
  CAPABILITIES_WITHOUT_CONDSTORE,
  startDovecot,
  type DovecotServer,
} from '../helpers/dovecot.js';
import { withImapClient } from '../helpers/imap-client.js';
import { configFor } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';

const staged = vi.hoisted(() => ({
  change: undefined as (() => Promise<void>) | undefined,
  when: 'before' as 'before' | 'after',
}));

vi.mock('../../src/imap/fetch-flags.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/imap/fetch-flags.js')>();
  return {
    ...real,
    fetchFlags: async (...args: Parameters<typeof real.fetchFlags>) => {
      const change = staged.change;
      staged.change = undefined;
      if (staged.when === 'before') await change?.();
      const flags = await real.fetchFlags(...args);
      if (staged.when === 'after') await change?.();
      return flags;
    },
  };
});

type Row = { op: string; uid: number; flags?: string[] };

let bare: DovecotServer;
let users = 0;
beforeAll(async () => {
  bare = await startDovecot({ capabilities: CAPABILITIES_WITHOUT_CONDSTORE });
});
afterAll(async () => {
  await bare?.stop();
});

const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@race.test>\r\n\r\n${id}\r\n`;

describe('the change feed without CONDSTORE, a flag changed while new mail is read', () => {
  for (const when of ['before', 'after'] as const)
    it(`is not lost when the change comes just ${when} the flag FETCH of the new messages`, async () => {
      const user = { name: `race${++users}x${process.pid}`, password: `race-pw-${users}` };
      addDovecotUsers(bare, [user]);
      await seedMailbox(bare, user, { INBOX: [{ source: mail('a') }] });
      const config = configFor(bare, user);
      // The first run reads the message; its flag FETCH is the only one (no scan yet).
      staged.when = when;
      staged.change = () =>
        withImapClient(user, bare, async (client) => {
          const lock = await client.getMailboxLock('INBOX');
          try {
            await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
          } finally {
            lock.release();
          }
        });
      const first = await read(config, 'FOLDER INBOX ALL', { changes: true });
      expect(staged.change, 'the staged change ran').toBeUndefined();
      const second = await read(config, 'FOLDER INBOX ALL', {
        changes: true,
        cursor: first.cursor,
      });
      // What the host holds after both runs: the last row of UID 1.
      const rows = [...first.rows, ...second.rows] as Row[];
      const held = rows.filter((r) => r.uid === 1).at(-1);
      expect(held?.flags, JSON.stringify(rows)).toContain('\\Flagged');
    });
});

/**
 * A server that refuses one more session (issue 12), against real servers. Dovecot itself
 * limits sessions per user and IP (mail_max_userip_connections) and answers NO [LIMIT] to the
 * LOGIN over it: that used to be AUTH_FAILED, a wrong password to every batch that opened
 * one connection too many. A server-wide limit per client address (Courier's MAXPERIP, a
 * hosting panel's) is played by the loopback proxy in front of Dovecot, which greets one
 * connection too many with BYE, since Dovecot only queues those.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { read, runBatch } from '../../src/index.js';
import {
  archiveHashes,
  archiveProfile,
  dovecotSource,
  mailboxHashes,
  seededAccounts,
} from '../helpers/batch-fixtures.js';
import { message } from '../helpers/corpus.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { imapClient } from '../helpers/imap-client.js';
import { dovecot } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';

const USER = { name: 'limited', password: 'limited-password' };
let limited: DovecotServer;

beforeAll(async () => {
  limited = await startDovecot({
    users: [USER],
    settings: ['protocol imap {', '  mail_max_userip_connections = 1', '}'],
  });
  await seedMailbox(limited, USER, {
    INBOX: Array.from({ length: 5 }, (_, i) => ({ source: message(`limited ${i}`) })),
  });
}, 60_000);

afterAll(async () => {
  await limited?.stop();
});

const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  server: limited.host,
  port: limited.imapPort,
  security: 'none',
  username: USER.name,
  password: USER.password,
  ...extra,
});

/** A logger that keeps the warnings' messages. */
function warnings(): { options: Parameters<typeof read>[2] & object; seen: string[] } {
  const seen: string[] = [];
  const noop = (): void => undefined;
  return {
    seen,
    options: {
      logger: { debug: noop, info: noop, error: noop, warn: (e) => seen.push(String(e.msg)) },
    },
  };
}

describe("Dovecot's limit of sessions per user and IP", () => {
  it('is SERVER_THROTTLED (too many connections, retryable), not AUTH_FAILED', async () => {
    const other = imapClient(USER, limited);
    await other.connect();
    try {
      await expect(read(config({ reconnectAttempts: 0 }), 'ALL')).rejects.toMatchObject({
        code: 'SERVER_THROTTLED',
        retryable: true,
        details: { tooManyConnections: true, serverResponseCode: 'LIMIT' },
      });
    } finally {
      await other.logout();
    }
  });

  it('is waited out: the read opens a new session once the other one has gone, and reads all 5', async () => {
    const other = imapClient(USER, limited);
    await other.connect();
    const leaving = new Promise<void>((resolve) =>
      setTimeout(() => void other.logout().then(resolve), 600),
    );
    const { options, seen } = warnings();
    const page = await read(config({ reconnectAttempts: 4, reconnectDelay: 300 }), 'ALL', options);
    await leaving;
    expect(page.rows).toHaveLength(5);
    expect(seen.some((msg) => msg.startsWith('SERVER_THROTTLED: opening a new session'))).toBe(
      true,
    );
  });
});

describe('a batch against a server that refuses a third session per address', () => {
  it('lowers its connections to that server, and every mailbox ends exact', async () => {
    const accounts = await seededAccounts(6, 'thr');
    const proxy = await startFaultProxy(dovecot().imapPort);
    proxy.limitSessions(2);
    try {
      const { dir, profile } = archiveProfile('throttled', accounts, {
        source: dovecotSource({ port: proxy.port, reconnectAttempts: 6, reconnectDelay: 100 }),
        throttle: { parallelMailboxes: 4, maxConnectionsPerServer: 4 },
      });
      const report = await runBatch(profile);
      expect(report.totals).toMatchObject({ mailboxes: 6, done: 6, failed: 0 });
      expect(proxy.refused()).toBeGreaterThan(0);
      // Each refusal lowers the cap by one: two of four get through, so it ends at 2 or below.
      const server = `127.0.0.1:${proxy.port}`;
      expect(report.loweredConnections?.[server]).toBeLessThanOrEqual(3);
      const text = readFileSync(join(dir, `throttled-run${report.runId}.report.txt`), 'utf8');
      expect(text).toMatch(
        new RegExp(
          `Throttled by ${server.replace(/\./g, '\\.')}: connections to it lowered to [123]`,
        ),
      );
      for (const account of accounts)
        expect(archiveHashes(join(dir, 'mail.archive'), `${account.name}@127.0.0.1`)).toEqual(
          await mailboxHashes(account),
        );
    } finally {
      await proxy.close();
    }
  });
});

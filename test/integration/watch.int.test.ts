/**
 * Push with IDLE (issue 29, item 4) against Dovecot: every message another client appends
 * while the watch runs comes as a row, once, woken by the server's push (the IDLE restart is
 * set far beyond the test, so a row that waited for it would time the test out); connections
 * cut again and again while mail arrives lose nothing and repeat nothing, since every wake-up
 * and reconnect reads from the cursor; a watch stopped and started again from its cursor goes
 * on without a gap or a repeat. Latency is measured by `npm run bench:watch`, not here.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { watch } from '../../src/index.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { withImapClient } from '../helpers/imap-client.js';
import { cliConnection, dovecot, freshUser, makeConfig } from '../helpers/make-config.js';
import { seedMailbox } from '../helpers/seed.js';
import { CLI, sleep } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@watch.test>\r\n\r\nbody ${id}\r\n`;

/** A running watch and the subjects of the rows it delivered, in order. */
function startWatch(config: Record<string, unknown>, cursor?: string, query = 'FOLDER INBOX ALL') {
  const controller = new AbortController();
  const subjects: string[] = [];
  const reconnects: string[] = [];
  let last = cursor;
  const done = watch(config, query, {
    signal: controller.signal,
    idleRestartSeconds: 600,
    ...(cursor ? { cursor } : {}),
    onRows: ({ rows, cursor: next }) => {
      for (const row of rows) subjects.push((row as { subject: string }).subject);
      last = next;
    },
    onReconnect: (error) => reconnects.push(error.code),
  });
  const until = async (count: number, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (subjects.length < count && Date.now() < deadline) await sleep(20);
    expect(subjects.length, `rows after ${ms} ms`).toBeGreaterThanOrEqual(count);
  };
  const stop = async () => {
    controller.abort();
    const final = await done;
    expect(final).toBe(last);
    return final;
  };
  return { subjects, reconnects, until, stop };
}

describe('watch: new mail pushed with IDLE', () => {
  it('delivers each appended message once, woken by the push, and goes on from its cursor', async () => {
    const user = freshUser('wa');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: mail('old-1') }, { source: mail('old-2') }],
    });
    const running = startWatch(makeConfig(user));
    await running.until(2);
    await withImapClient(user, dovecot(), async (client) => {
      for (let n = 0; n < 20; n++) {
        await client.append('INBOX', mail(`new-${n}`));
        // One at a time: each must come by the push (the restart is 600 s away).
        await running.until(3 + n, 10_000);
      }
    });
    const cursor = await running.stop();
    expect(running.subjects).toEqual([
      'old-1',
      'old-2',
      ...Array.from({ length: 20 }, (_, n) => `new-${n}`),
    ]);
    // Mail while no watch runs comes first when the next one starts from the cursor.
    await seedMailbox(dovecot(), user, { INBOX: [{ source: mail('while-away') }] });
    const again = startWatch(makeConfig(user), cursor);
    await again.until(1);
    await withImapClient(user, dovecot(), (client) => client.append('INBOX', mail('after')));
    await again.until(2);
    await sleep(300);
    await again.stop();
    expect(again.subjects).toEqual(['while-away', 'after']);
  }, 60_000);

  // Two folders: the session that IDLEs in INBOX watches Other by NOTIFY, and is set up anew
  // after every cut.
  it('loses and repeats nothing while its connections are cut again and again', async () => {
    const user = freshUser('wc');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: mail('first') }], Other: [] });
    const proxy = await startFaultProxy(dovecot().imapPort);
    try {
      const running = startWatch(
        makeConfig(user, { port: proxy.port, reconnectDelay: 100 }),
        undefined,
        'FOLDER INBOX FOLDER Other ALL',
      );
      await running.until(1);
      const sent = ['first'];
      await withImapClient(user, dovecot(), async (client) => {
        for (let round = 0; round < 6; round++) {
          for (let n = 0; n < 5; n++) {
            const id = `r${round}-${n}`;
            await client.append(n % 2 ? 'Other' : 'INBOX', mail(id));
            sent.push(id);
          }
          // Every open connection cut, and new ones refused for a moment: a server restart.
          proxy.outage(300);
          await sleep(150);
        }
      });
      await running.until(sent.length, 30_000);
      await sleep(500);
      await running.stop();
      expect(running.reconnects.length).toBeGreaterThan(0);
      expect([...running.subjects].sort()).toEqual([...sent].sort());
      expect(running.subjects).toHaveLength(sent.length);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('refuses a bad query before any connection, and a wrong password without retrying forever', async () => {
    const user = freshUser('wr');
    const signal = new AbortController().signal;
    await expect(
      watch(makeConfig(user), 'FOLDER INBOX BOGUS', { signal, onRows: () => undefined }),
    ).rejects.toMatchObject({ code: 'QUERY_INVALID' });
    await seedMailbox(dovecot(), user, { INBOX: [] });
    await expect(
      watch(makeConfig({ ...user, password: 'wrong' }), 'FOLDER INBOX ALL', {
        signal,
        onRows: () => undefined,
      }),
    ).rejects.toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('read --watch prints rows as mail arrives, keeps the state, and the next run goes on from it', async () => {
    const user = freshUser('wl');
    await seedMailbox(dovecot(), user, { INBOX: [{ source: mail('before') }] });
    const state = join(tempDir('watch-cli-'), 'inbox.state');
    const run = () => {
      const child = spawn(
        process.execPath,
        [
          CLI,
          'read',
          ...cliConnection(user),
          '--query',
          'FOLDER INBOX ALL',
          '--watch',
          '--state',
          state,
        ],
        {
          env: { ...process.env, IMAP_PASSWORD: user.password },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const lines: string[] = [];
      let err = '';
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        lines.push(...parts.map((line) => (JSON.parse(line) as { subject: string }).subject));
      });
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const until = async (count: number) => {
        for (let i = 0; i < 500 && lines.length < count; i++) await sleep(20);
        expect(lines.length, err).toBeGreaterThanOrEqual(count);
      };
      return { child, lines, exited, until, err: () => err };
    };
    const first = run();
    try {
      await first.until(1);
      for (let i = 0; i < 100 && !existsSync(state); i++) await sleep(20);
      const saved = readFileSync(state, 'utf8');
      await withImapClient(user, dovecot(), (client) => client.append('INBOX', mail('pushed')));
      await first.until(2);
      // Saved once the reader has provably taken the row (the pipe drained), not before.
      for (let i = 0; i < 100 && readFileSync(state, 'utf8') === saved; i++) await sleep(20);
      expect(readFileSync(state, 'utf8')).not.toBe(saved);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toBe(143);
    expect(first.err()).toMatch(/2 rows; stopped watching\. State saved in/);
    expect(first.lines).toEqual(['before', 'pushed']);
    await seedMailbox(dovecot(), user, { INBOX: [{ source: mail('later') }] });
    const second = run();
    try {
      await second.until(1);
      await sleep(500);
    } finally {
      second.child.kill('SIGTERM');
    }
    await second.exited;
    expect(second.lines).toEqual(['later']);
  }, 60_000);

  it('with changes, a flag set or a message expunged by another client comes as an update or a deletion', async () => {
    const user = freshUser('wf');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: mail('one') }, { source: mail('two') }],
    });
    const controller = new AbortController();
    const rows: { op: string; uid: number; flags?: string[] }[] = [];
    const done = watch(makeConfig(user), 'FOLDER INBOX ALL', {
      signal: controller.signal,
      idleRestartSeconds: 600,
      changes: true,
      onRows: (page) => void rows.push(...(page.rows as typeof rows)),
    });
    const until = async (count: number) => {
      for (let i = 0; i < 500 && rows.length < count; i++) await sleep(20);
      expect(rows.length).toBeGreaterThanOrEqual(count);
    };
    try {
      await until(2);
      await withImapClient(user, dovecot(), async (client) => {
        const lock = await client.getMailboxLock('INBOX');
        try {
          await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
          await until(3);
          await client.messageDelete('2', { uid: true });
          await until(4);
        } finally {
          lock.release();
        }
      });
    } finally {
      controller.abort();
      await done;
    }
    expect(rows.map((r) => [r.op, r.uid])).toEqual([
      ['insert', 1],
      ['insert', 2],
      ['update', 1],
      ['delete', 2],
    ]);
    expect(rows[2]!.flags).toContain('\\Flagged');
  }, 30_000);

  // Dovecot offers NOTIFY (RFC 5465): the session that IDLEs in INBOX is told of the other
  // folders' changes too. maxIdleFolders 1 leaves no session of their own to the others and the
  // restart is 600 s away, so a row from them in time came by NOTIFY.
  it('watches many folders on one session with NOTIFY: new mail, a flag and an expunge in any of them', async () => {
    const user = freshUser('wn');
    await seedMailbox(dovecot(), user, {
      INBOX: [{ source: mail('n-inbox') }],
      Projects: [{ source: mail('n-projects') }],
      'Lists/Node': [{ source: mail('n-lists') }],
    });
    const controller = new AbortController();
    const rows: { op: string; folder: string; subject?: string }[] = [];
    const done = watch(makeConfig(user), 'FOLDER INBOX FOLDER Projects FOLDER Lists/Node ALL', {
      signal: controller.signal,
      idleRestartSeconds: 600,
      maxIdleFolders: 1,
      changes: true,
      onRows: (page) => void rows.push(...(page.rows as typeof rows)),
    });
    const until = async (count: number) => {
      for (let i = 0; i < 500 && rows.length < count; i++) await sleep(20);
      expect(rows.length, JSON.stringify(rows)).toBeGreaterThanOrEqual(count);
    };
    try {
      await until(3);
      await withImapClient(user, dovecot(), async (client) => {
        await client.append('Lists/Node', mail('n-lists-new'));
        await until(4);
        await client.append('Projects', mail('n-projects-new'));
        await until(5);
        await client.mailboxOpen('Lists/Node');
        await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
        await until(6);
        await client.mailboxOpen('Projects');
        await client.messageDelete('1', { uid: true });
        await until(7);
      });
    } finally {
      controller.abort();
      await done;
    }
    expect(rows.slice(3).map((r) => [r.op, r.folder, r.subject])).toEqual([
      ['insert', 'Lists/Node', 'n-lists-new'],
      ['insert', 'Projects', 'n-projects-new'],
      ['update', 'Lists/Node', 'n-lists'],
      ['delete', 'Projects', undefined],
    ]);
  }, 30_000);
});

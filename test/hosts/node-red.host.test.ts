/**
 * The Node-RED nodes in a real Node-RED runtime (node-red-node-test-helper) against the real
 * Dovecot: a flow of read -> function -> acknowledge pulled twice (the second pull gets only new
 * mail), paging, a wrong password as AUTH_FAILED in the node status and at a catch node, write
 * without duplicates, and the editor's Test Connection / Test Query endpoints.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { numberedMail, subjects } from '../helpers/host-mail.js';
import { withImapClient } from '../helpers/imap-client.js';
import { dovecot, freshUser } from '../helpers/make-config.js';
import { NODE_RED_PACKAGE, requireFromPackage } from '../helpers/node-red-package.js';
import { seedMailbox } from '../helpers/seed.js';

type Msg = Record<string, any>;
const require = requireFromPackage();
const helper = require('node-red-node-test-helper');
const NODES = ['imap-connection', 'imap-read', 'imap-write', 'imap-acknowledge', 'imap-watch'].map(
  (name) => require(`${NODE_RED_PACKAGE}nodes/${name}.js`),
);
// Core nodes the flows use beside ours.
NODES.push(
  require('@node-red/nodes/core/function/10-function.js'),
  require('@node-red/nodes/core/common/25-catch.js'),
);
helper.init(require.resolve('node-red'));

/** A flow tab holding `nodes` (catch nodes and the function node need one), plus config nodes. */
function onTab(config: Msg[], nodes: Msg[]): Msg[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...config,
    ...nodes.map((node) => ({ ...node, z: 'tab' })),
  ];
}

function connectionNode(id: string, user: { name: string }): Msg {
  const server = dovecot();
  return {
    id,
    type: 'imap-connection',
    name: 'test account',
    server: server.host,
    port: String(server.imapPort),
    security: 'none',
    authMethod: 'password',
    username: user.name,
    timeout: '10000',
    ignoreCertificateErrors: false,
  };
}

/** Collects what reaches a helper node until `count` messages arrived. */
function collect(id: string, count: number, timeoutMs = 15_000): Promise<Msg[]> {
  const node = helper.getNode(id);
  const got: Msg[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${id} got ${got.length} of ${count} messages`)),
      timeoutMs,
    );
    node.on('input', (msg: Msg) => {
      got.push(msg);
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/** The last status a node set (the helper spies on status() of every node at once). */
function lastStatus(id: string): Msg | undefined {
  const node = helper.getNode(id);
  const calls = node.status.getCalls().filter((call: Msg) => call.thisValue === node);
  return calls.at(-1)?.args[0];
}

async function seenSubjects(
  user: { name: string; password: string },
  folder: string,
): Promise<string[]> {
  return withImapClient(user, dovecot(), async (client) => {
    const lock = await client.getMailboxLock(folder);
    try {
      const out: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true, flags: true }))
        if (m.flags?.has('\\Seen')) out.push(m.envelope!.subject!);
      return out.sort();
    } finally {
      lock.release();
    }
  });
}

describe('Node-RED nodes in the Node-RED runtime', () => {
  beforeAll(() => new Promise<void>((resolve) => helper.startServer(resolve)));
  afterAll(() => new Promise<void>((resolve) => helper.stopServer(resolve)));
  afterEach(() => helper.unload());

  it('read -> function -> acknowledge, twice: the second pull gets only new mail', async () => {
    const user = freshUser('nr');
    await seedMailbox(dovecot(), user, {
      INBOX: numberedMail('INBOX', 1, 4),
      Archive: numberedMail('Archive', 1, 2),
    });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'ALL',
          mode: 'all',
          output: 'row',
          wires: [['fn']],
        },
        // What a flow does with a row before acknowledging it: here, keeps what it needs.
        {
          id: 'fn',
          type: 'function',
          func: 'msg.stored = msg.payload.subject; return msg;',
          outputs: 1,
          wires: [['ack', 'rows']],
        },
        {
          id: 'ack',
          type: 'imap-acknowledge',
          connection: 'conn',
          action: 'markSeen',
          wires: [['acks']],
        },
        { id: 'rows', type: 'helper' },
        { id: 'acks', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const first = collect('rows', 6);
    helper.getNode('read').receive({ payload: 'tick' });
    const rows = await first;
    expect(rows.map((m) => m.stored)).toEqual([
      ...subjects('INBOX', 1, 4),
      ...subjects('Archive', 1, 2),
    ]);
    expect(rows[0]!.topic).toBe('INBOX');
    // Each page's rows are one msg.parts sequence, and acknowledged in one call per page.
    const pages = [...new Set(rows.map((m) => m.parts.id))];
    expect(rows.map((m) => m.parts.index)).toEqual(
      rows.map((m) => rows.filter((r) => r.parts.id === m.parts.id).indexOf(m)),
    );
    const acks = await collect('acks', pages.length);
    expect(acks.map((m) => m.payload.acknowledged)).toEqual(
      pages.map((id) => rows.filter((m) => m.parts.id === id).length),
    );
    expect(acks.every((m) => m.parts === undefined)).toBe(true);
    expect(await seenSubjects(user, 'INBOX')).toEqual(subjects('INBOX', 1, 4));
    expect(lastStatus('read')).toMatchObject({ fill: 'green', text: '6 rows' });

    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 5, 2) });
    const second = collect('rows', 2);
    helper.getNode('read').receive({ payload: 'tick' });
    expect((await second).map((m) => m.stored)).toEqual(subjects('INBOX', 5, 2));
    // Nothing more arrives: a third message would mean a row came twice.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lastStatus('read')!.text).toBe('2 rows');
  });

  it('imap watch sends mail as it arrives, with no inject: what was there, then each new message once', async () => {
    const user = freshUser('nrw');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 2) });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'watch',
          type: 'imap-watch',
          connection: 'conn',
          query: 'FOLDER INBOX ALL',
          wires: [['rows']],
        },
        { id: 'rows', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const initial = await collect('rows', 2);
    expect(initial.map((m) => m.payload.subject)).toEqual(subjects('INBOX', 1, 2));
    expect(initial[0]!.topic).toBe('INBOX');
    for (const n of [3, 4]) {
      const pushed = collect('rows', 1, 10_000);
      await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', n, 1) });
      expect((await pushed).map((m) => m.payload.subject)).toEqual(subjects('INBOX', n, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lastStatus('watch')).toMatchObject({ fill: 'green', text: 'watching, 4 rows' });
  });

  it('imap watch with changes: a flag set and a message expunged elsewhere come with topic update and delete', async () => {
    const user = freshUser('nrc');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 2) });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'watch',
          type: 'imap-watch',
          connection: 'conn',
          query: 'FOLDER INBOX ALL',
          changes: true,
          wires: [['rows']],
        },
        { id: 'rows', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const initial = await collect('rows', 2);
    expect(initial.map((m) => m.topic)).toEqual(['insert', 'insert']);
    const changed = collect('rows', 2, 10_000);
    await withImapClient(user, dovecot(), async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
        await client.messageDelete('2', { uid: true });
      } finally {
        lock.release();
      }
    });
    // One wake-up or two (the server may tell the STORE and the EXPUNGE apart): either order.
    const rows = (await changed).sort((a, b) => a.topic.localeCompare(b.topic));
    expect(rows.map((m) => [m.topic, m.payload.uid])).toEqual([
      ['delete', 2],
      ['update', 1],
    ]);
    expect(rows[1]!.payload.flags).toContain('\\Flagged');
    expect(rows[0]!.payload.id).toBe(initial[1]!.payload.id);
  });

  it("imap read with the connection's Changes field: a pull after changes elsewhere brings topic update and delete", async () => {
    const user = freshUser('nrr');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 3) });
    const flow = onTab(
      [{ ...connectionNode('conn', user), changes: true }],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'FOLDER INBOX ALL',
          mode: 'all',
          output: 'row',
          wires: [['rows']],
        },
        { id: 'rows', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const first = collect('rows', 3);
    helper.getNode('read').receive({ payload: 'tick' });
    expect((await first).map((m) => m.topic)).toEqual(['insert', 'insert', 'insert']);
    await withImapClient(user, dovecot(), async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageFlagsAdd('1', ['\\Flagged'], { uid: true });
        await client.messageDelete('2', { uid: true });
        await client.append('INBOX', numberedMail('INBOX', 4, 1)[0]!.source);
      } finally {
        lock.release();
      }
    });
    const second = collect('rows', 3);
    helper.getNode('read').receive({ payload: 'tick' });
    const rows = (await second).map((m) => [m.topic, m.payload.uid]);
    expect(rows.sort()).toEqual([
      ['delete', 2],
      ['insert', 4],
      ['update', 1],
    ]);
  });

  it('acknowledges a page of rows in one call, also when the flow dropped some of them; or each message', async () => {
    const user = freshUser('nrpage');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 5) });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'ALL',
          mode: 'all',
          output: 'row',
          wires: [['fn']],
        },
        // The flow keeps rows 1, 2, 4 and 5: the page never arrives whole.
        {
          id: 'fn',
          type: 'function',
          func: 'return msg.payload.subject.endsWith(" 3") ? null : msg;',
          outputs: 1,
          wires: [['ack', 'perRow']],
        },
        {
          id: 'ack',
          type: 'imap-acknowledge',
          connection: 'conn',
          action: 'markSeen',
          wait: '0.3',
          wires: [['acks']],
        },
        {
          id: 'perRow',
          type: 'imap-acknowledge',
          connection: 'conn',
          action: 'flag',
          flags: '$Done',
          collect: 'each',
          wires: [['eachAcks']],
        },
        { id: 'acks', type: 'helper' },
        { id: 'eachAcks', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const acks = collect('acks', 1);
    const eachAcks = collect('eachAcks', 4);
    const allAcks: Msg[] = [];
    helper.getNode('acks').on('input', (msg: Msg) => allAcks.push(msg));
    helper.getNode('read').receive({ payload: 'tick' });
    const [ack] = await acks;
    expect(ack!.payload.acknowledged).toBe(4);
    expect((await eachAcks).map((m) => m.payload.acknowledged)).toEqual([1, 1, 1, 1]);
    const dropped = subjects('INBOX', 1, 5).filter((subject) => subject.endsWith(' 3'));
    expect(dropped).toHaveLength(1);
    expect(await seenSubjects(user, 'INBOX')).toEqual(
      subjects('INBOX', 1, 5)
        .filter((subject) => !dropped.includes(subject))
        .sort(),
    );
    // Nothing more: a second result would mean the page was acknowledged twice.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(allAcks).toHaveLength(1);
    expect(lastStatus('ack')).toMatchObject({ text: '4 acknowledged' });
  });

  it('pages: each input pulls the next page as one array, then only new mail', async () => {
    const user = freshUser('nr');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 5) });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'FOLDER INBOX ALL',
          mode: 'page',
          output: 'page',
          pageSize: '2',
          wires: [['pages']],
        },
        { id: 'pages', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const pages: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const next = collect('pages', 1);
      helper.getNode('read').receive({});
      pages.push((await next)[0]!.payload.map((row: Msg) => row.subject));
      helper.getNode('pages').removeAllListeners('input');
    }
    expect(pages).toEqual([
      subjects('INBOX', 1, 2),
      subjects('INBOX', 3, 2),
      subjects('INBOX', 5, 1),
    ]);
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 6, 1) });
    const next = collect('pages', 1);
    helper.getNode('read').receive({});
    expect((await next)[0]!.payload.map((row: Msg) => row.subject)).toEqual(
      subjects('INBOX', 6, 1),
    );
    // msg.reset starts over.
    helper.getNode('pages').removeAllListeners('input');
    const again = collect('pages', 1);
    helper.getNode('read').receive({ reset: true });
    expect((await again)[0]!.payload.map((row: Msg) => row.subject)).toEqual(
      subjects('INBOX', 1, 2),
    );
  });

  it('a wrong password: AUTH_FAILED in the node status and at a catch node, with the hint, no secret', async () => {
    const user = freshUser('nr');
    const wrong = `${user.password}-wrong-sentinel`;
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'ALL',
          mode: 'page',
          output: 'row',
          wires: [[]],
        },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: wrong } });
    const caught = collect('caught', 1);
    helper.getNode('read').receive({ payload: 'tick' });
    const [msg] = await caught;
    expect(msg!.error.code).toBe('AUTH_FAILED');
    expect(msg!.error.message).toMatch(/^Error: AUTH_FAILED: .*Check the user name and password/);
    expect(msg!.error.cause).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(lastStatus('read')).toEqual({
      fill: 'red',
      shape: 'ring',
      text: 'AUTH_FAILED',
    });
    expect(JSON.stringify(msg)).not.toContain(wrong);
  });

  it('write stores messages once; Test Connection and Test Query answer the editor', async () => {
    const user = freshUser('nr');
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'write',
          type: 'imap-write',
          connection: 'conn',
          folder: 'Imported',
          wires: [['written']],
        },
        { id: 'written', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const source = numberedMail('Imported', 1, 2).map((m) => String(m.source));
    for (const expected of [2, 0]) {
      helper.getNode('written').removeAllListeners('input');
      const done = collect('written', 1);
      helper.getNode('write').receive({ payload: [source[0], Buffer.from(source[1]!)] });
      expect((await done)[0]!.payload).toMatchObject({
        stored: expected,
        duplicates: 2 - expected,
      });
    }

    const settings = connectionNode('conn', user);
    // The dialog sends the placeholder for a stored password: the stored one is used.
    const ok = await helper
      .request()
      .post('/imap-connector/test-connection')
      .send({ id: 'conn', settings, credentials: { password: '__PWRD__' } })
      .expect(200);
    expect(ok.body).toMatchObject({ ok: true, code: 'OK' });
    expect(ok.body.folders.count).toBeGreaterThanOrEqual(2);
    const bad = await helper
      .request()
      .post('/imap-connector/test-connection')
      .send({ id: 'new-node', settings, credentials: { password: 'wrong-sentinel' } })
      .expect(200);
    expect(bad.body).toMatchObject({ ok: false, code: 'AUTH_FAILED' });
    expect(JSON.stringify(bad.body)).not.toContain('wrong-sentinel');
    await helper.request().post('/imap-connector/test-connection').send({ id: 'x' }).expect(400);

    const query = await helper
      .request()
      .post('/imap-connector/test-query')
      .send({ connection: { id: 'conn', settings }, query: 'FOLDER Imported SUBJECT "Imported 2"' })
      .expect(200);
    expect(query.body).toMatchObject({ ok: true, totalMatches: 1 });
    expect(query.body.folders[0].search).toMatch(/SEARCH/);
    expect(query.body.sample[0].subject).toBe('Imported 2');
  });

  it('saves the cursor only once imap acknowledge confirms the page (saveCursor acknowledged)', async () => {
    const user = freshUser('nr');
    await seedMailbox(dovecot(), user, { INBOX: numberedMail('INBOX', 1, 4) });
    const flow = onTab(
      [connectionNode('conn', user)],
      [
        {
          id: 'read',
          type: 'imap-read',
          connection: 'conn',
          query: 'FOLDER INBOX ALL',
          mode: 'page',
          output: 'page',
          pageSize: '2',
          saveCursor: 'acknowledged',
          wires: [['pages']],
        },
        { id: 'pages', type: 'helper' },
        {
          id: 'ack',
          type: 'imap-acknowledge',
          connection: 'conn',
          action: 'markSeen',
          wires: [['acks']],
        },
        { id: 'acks', type: 'helper' },
      ],
    );
    await helper.load(NODES, flow, { conn: { password: user.password } });
    const saved = (): Promise<unknown> =>
      new Promise((resolve) =>
        helper
          .getNode('read')
          .context()
          .get('imapConnectorCursor', (_: unknown, value: unknown) => resolve(value)),
      );
    const first = collect('pages', 1);
    helper.getNode('read').receive({});
    const [page] = await first;
    expect(page!.payload.map((row: Msg) => row.subject)).toEqual(subjects('INBOX', 1, 2));
    expect(page!.imap).toMatchObject({ readNode: 'read', cursor: expect.any(String) });
    // Sent but not acknowledged: nothing saved; the node still goes on to the next page.
    expect(await saved()).toBeUndefined();
    helper.getNode('pages').removeAllListeners('input');
    const second = collect('pages', 1);
    helper.getNode('read').receive({});
    expect((await second)[0]!.payload.map((row: Msg) => row.subject)).toEqual(
      subjects('INBOX', 3, 2),
    );
    // The first page acknowledged (one call for the page): its cursor is the saved one.
    const acked = collect('acks', 1);
    helper.getNode('ack').receive(page!);
    expect((await acked)[0]!.payload).toMatchObject({ acknowledged: 2 });
    expect(await saved()).toBe(page!.imap.cursor);
  });

  it('an editor endpoint that fails (the connector cannot load) answers 500 in the failure shape instead of ending Node-RED', async () => {
    const { adminRoute } = require(`${NODE_RED_PACKAGE}nodes/lib/connector-client.js`);
    const handler = adminRoute(async () => {
      await import('imap-connector-that-is-not-installed' as string);
    });
    const answer = await new Promise<{ status: number; body: Msg }>((resolve) => {
      const res = {
        headersSent: false,
        status(code: number) {
          return { json: (body: Msg) => resolve({ status: code, body }) };
        },
      };
      handler({}, res);
    });
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      ok: false,
      error: {
        code: 'INTERNAL',
        message: expect.stringMatching(/could not answer/),
        hint: expect.stringMatching(/npm ls imap-connector/),
      },
    });
  });
});

/**
 * The console's archive API on an archive made by a real import: search by sender, recipient,
 * subject, attachment name and date range (FTS5), a message's HTML sanitized and served with a
 * CSP that lets nothing remote load, an .eml download with the exact bytes, a folder as mbox.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { http, passthrough } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runImport } from '../../src/index.js';
import { startConsole, type RunningConsole } from '../../src/console/console-server.js';
import { makeConfig, dovecot, freshUser } from '../helpers/make-config.js';
import { mswServer } from '../helpers/msw-server.js';
import { seedMailbox } from '../helpers/seed.js';
import { tempDir } from '../helpers/temp-dir.js';

const HTML_MESSAGE = [
  'From: Börje Ström <borje@example.org>',
  'To: Team <team@example.com>, Cc Person <cc@example.net>',
  'Subject: Quarterly report',
  'Message-ID: <html-1@example.org>',
  'Date: Tue, 05 Mar 2024 09:00:00 +0000',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p onclick="steal()">Numbers <b>up</b></p><script>alert(1)</script>',
  '<img src="http://tracker.example/pixel.gif"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
  '<iframe src="http://evil.example/"></iframe>',
  '<img src="cid:logo@example.org" alt="logo"><a href="https://example.com/more">more</a>',
  '--b1',
  'Content-Type: image/gif; name="logo.gif"',
  'Content-ID: <logo@example.org>',
  'Content-Disposition: inline; filename="logo.gif"',
  'Content-Transfer-Encoding: base64',
  '',
  'R0lGODlhAQABAAAAACw=',
  '--b1',
  'Content-Type: application/pdf; name="q1-figures.pdf"',
  'Content-Disposition: attachment; filename="q1-figures.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0xLjQK',
  '--b1--',
  '',
].join('\r\n');

const PLAIN = (n: number, date: string) =>
  `From: Ann <ann@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: Plain ${n}\r\nMessage-ID: <p${n}@example.com>\r\nDate: ${date}\r\n\r\nText ${n}\r\n`;

let app: RunningConsole;
let archiveName: string;
const get = (path: string) =>
  fetch(`${app.url}${path}`, { headers: { authorization: `Bearer ${app.token}` } });

describe('the console archive API', () => {
  beforeAll(async () => {
    const user = freshUser('ca');
    await seedMailbox(dovecot(), user, {
      INBOX: [
        { source: HTML_MESSAGE },
        { source: PLAIN(1, 'Mon, 01 Jan 2024 10:00:00 +0000') },
        { source: PLAIN(2, 'Sat, 01 Jun 2024 10:00:00 +0000') },
      ],
    });
    const path = join(tempDir('console-archive-'), 'mail.archive');
    await runImport(makeConfig(user), { destination: { archive: path } });
    app = await startConsole({ dataDir: tempDir('console-data-'), archives: [path], env: {} });
    archiveName = 'mail.archive';
  });
  // The requests go to the real console: msw (HTTP mocks, reset after each test) lets them by.
  beforeEach(() => mswServer.use(http.all(`${app.url}/*`, () => passthrough())));
  afterAll(async () => {
    await app?.close();
  });

  async function search(params: Record<string, string>) {
    const response = await get(
      `/api/archives/${archiveName}/search?${new URLSearchParams(params)}`,
    );
    expect(response.status).toBe(200);
    return (await response.json()) as { total: number; hits: { id: number; subject: string }[] };
  }

  it('finds by sender (diacritics folded), recipient, subject words, attachment name and dates', async () => {
    expect((await search({ from: 'borje' })).hits.map((h) => h.subject)).toEqual([
      'Quarterly report',
    ]);
    expect((await search({ to: 'cc@example.net' })).total).toBe(1);
    expect((await search({ to: 'bob' })).total).toBe(2);
    expect((await search({ subject: 'plain' })).total).toBe(2);
    expect((await search({ attachment: 'q1-fig' })).hits.map((h) => h.subject)).toEqual([
      'Quarterly report',
    ]);
    expect(
      (await search({ since: '2024-03-01', until: '2024-05-31' })).hits.map((h) => h.subject),
    ).toEqual(['Quarterly report']);
    expect(
      (await search({ subject: 'plain', since: '2024-06-01' })).hits.map((h) => h.subject),
    ).toEqual(['Plain 2']);
    // FTS syntax in the input is taken as words, not as a query.
    expect((await search({ subject: 'report" OR "x' })).total).toBe(0);
    // Not a date, a date that does not exist, a limit that is no bound or no number.
    for (const query of [
      'since=yesterday',
      'until=2024-02-30',
      'limit=-1',
      'limit=abc',
      'limit=0',
    ]) {
      const bad = await get(`/api/archives/${archiveName}/search?${query}`);
      expect(bad.status, query).toBe(400);
      const body = (await bad.json()) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe('QUERY_INVALID');
      expect(body.error.message).not.toMatch(/SQL|sqlite/i);
    }
    expect((await search({ subject: 'plain', limit: '1' })).hits).toHaveLength(1);
  });

  it('answers a body over the limit with 413 saying so, and a batch started twice with 409', async () => {
    const session = (await (await get('/api/session')).json()) as { csrfToken: string };
    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${app.token}`,
          'x-csrf-token': session.csrfToken,
          'content-type': type,
        },
        body,
      });
    const big = await post(
      '/api/connections/test',
      JSON.stringify({ config: { x: 'y'.repeat(11 * 1024 * 1024) } }),
    );
    expect(big.status).toBe(413);
    expect(await big.text()).toMatch(/larger than 10 MB/);
    // A source that accepts and never greets: the run waits there until it is stopped.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const form = new FormData();
    form.set('name', 'twice');
    form.set('sourceServer', '127.0.0.1');
    form.set('sourcePort', String((silent.address() as { port: number }).port));
    form.set('sourceSecurity', 'none');
    form.set('csv', new Blob(['someone,secret-pw']), 'list.csv');
    const created = await fetch(`${app.url}/api/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.token}`, 'x-csrf-token': session.csrfToken },
      body: form,
    });
    expect(created.status).toBe(200);
    const first = await post('/api/batches/twice/start', '');
    const second = await post('/api/batches/twice/start', '');
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('JOB_BUSY');
    const removing = await fetch(`${app.url}/api/batches/twice`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${app.token}`, 'x-csrf-token': session.csrfToken },
    });
    expect(removing.status).toBe(409);
    await post('/api/batches/twice/stop', '');
    silent.close();
  });

  it('serves the HTML sanitized, in a frame whose CSP loads nothing remote and runs nothing', async () => {
    const [hit] = (await search({ subject: 'quarterly' })).hits;
    const view = (await (
      await get(`/api/archives/${archiveName}/messages/${hit!.id}`)
    ).json()) as Record<string, unknown>;
    expect(view).toMatchObject({ subject: 'Quarterly report', hasHtml: true });
    const sha = (text: string) =>
      createHash('sha256').update(Buffer.from(text, 'base64')).digest('hex');
    expect(view.attachments).toEqual([
      {
        index: 0,
        filename: 'logo.gif',
        contentType: 'image/gif',
        size: 14,
        sha256: sha('R0lGODlhAQABAAAAACw='),
        inline: true,
      },
      {
        index: 1,
        filename: 'q1-figures.pdf',
        contentType: 'application/pdf',
        size: 9,
        sha256: sha('JVBERi0xLjQK'),
        inline: false,
      },
    ]);
    const pdf = await get(`/api/archives/${archiveName}/messages/${hit!.id}/attachments/1`);
    expect(pdf.headers.get('content-disposition')).toBe('attachment; filename="q1-figures.pdf"');
    expect(pdf.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await pdf.arrayBuffer())).toEqual(Buffer.from('JVBERi0xLjQK', 'base64'));
    expect(
      (await get(`/api/archives/${archiveName}/messages/${hit!.id}/attachments/7`)).status,
    ).toBe(404);
    const frame = await get(`/api/archives/${archiveName}/messages/${hit!.id}/html`);
    const csp = frame.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(csp).not.toContain('http');
    const html = await frame.text();
    expect(html).toContain('<b>up</b>');
    expect(html).not.toMatch(/<script|onclick|tracker\.example|<iframe|evil\.example/);
    expect(html).toContain('data:image/gif;base64');
    // The cid: image is the message's own part, inline; a link opens a new tab without opener.
    expect(html).not.toContain('cid:');
    expect(html).toMatch(/<img src="data:image\/gif;base64,R0lGODlhAQABAAAAACw="/);
    expect(html).toContain(
      '<a href="https://example.com/more" target="_blank" rel="noopener noreferrer">more</a>',
    );
    expect(csp).toContain('sandbox allow-popups allow-popups-to-escape-sandbox');
    expect(csp).not.toContain('allow-scripts');
  });

  it('downloads a message as .eml with its exact bytes and a folder as mbox', async () => {
    const [hit] = (await search({ subject: 'quarterly' })).hits;
    const eml = await get(`/api/archives/${archiveName}/messages/${hit!.id}/eml`);
    expect(eml.headers.get('content-disposition')).toMatch(/attachment; filename="INBOX-1\.eml"/);
    expect(Buffer.from(await eml.arrayBuffer()).toString('utf8')).toBe(HTML_MESSAGE);
    const stats = (await (await get('/api/archives')).json()) as {
      stats: { folders: { account: string }[] };
    }[];
    const account = stats[0]!.stats.folders[0]!.account;
    const mbox = await get(
      `/api/archives/${archiveName}/mbox?account=${encodeURIComponent(account)}&folder=INBOX`,
    );
    // Streamed as the browser takes it (no length known beforehand), on a connection of its
    // own: a search answers while the download is open halfway.
    expect(mbox.headers.get('content-length')).toBeNull();
    const reader = mbox.body!.getReader();
    const chunks: Uint8Array[] = [(await reader.read()).value!];
    expect((await search({ subject: 'quarterly' })).hits).toHaveLength(1);
    for (let next = await reader.read(); !next.done; next = await reader.read())
      chunks.push(next.value);
    const text = Buffer.concat(chunks).toString('latin1');
    expect(text.match(/^From /gm)).toHaveLength(3);
    expect(text).toContain('Subject: Plain 2');
  });
});

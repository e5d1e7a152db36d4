/**
 * npm run bench:console [-- --messages 10000 --runs 5 --out FILE]
 *
 * The web console in Debian's Chromium: the first page load (from navigation to the connection
 * form drawn from the manifest) and searches over an archive of the bench mailbox (10,000
 * messages imported into the embedded archive first), timed in the browser from pressing
 * Search to the result table on screen. The first search builds the FTS5 index; the others use
 * it. Medians of --runs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { scriptArgs } from '../script-args.js';
import { startConsole } from '../../src/console/console-server.js';
import { runImport } from '../../src/import/import-job.js';
import { startDovecot } from '../../test/helpers/dovecot.js';
import { launchChromium } from '../../test/helpers/chromium.js';
import { seedDovecotUser } from './seed-maildir.js';

const USER = { name: 'bench', password: 'bench-password' };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const args = scriptArgs('npm run bench:console [-- --messages 10000 --runs 5 --out FILE]', {
    messages: { type: 'string' },
    runs: { type: 'string' },
    out: { type: 'string' },
  });
  const values = args.values;
  const messages = args.count('messages', 10_000);
  const runs = args.count('runs', 5);
  const server = await startDovecot({ users: [USER], parentDir: '/dev/shm' });
  const work = mkdtempSync('/tmp/imap-connector-console-bench-');
  const browser = await launchChromium();
  try {
    seedDovecotUser(server, USER.name, messages);
    const archive = join(work, 'bench.archive');
    const started = performance.now();
    await runImport(
      {
        server: server.host,
        port: server.imapPort,
        security: 'none',
        username: USER.name,
        password: USER.password,
        query: 'ALL',
      },
      { destination: { archive } },
    );
    console.log(
      `${messages} messages archived in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const app = await startConsole({ dataDir: join(work, 'data'), archives: [archive], env: {} });
    try {
      const loads: number[] = [];
      for (let i = 0; i < runs; i++) {
        const page = await browser.newPage();
        await page.goto(app.link);
        await page.waitForSelector('#field-server');
        // Navigation start to the form on screen, as the browser measured it.
        loads.push(await page.evaluate(() => performance.now()));
        await page.close();
      }
      const page = await browser.newPage();
      await page.goto(app.link);
      await page.goto(`${app.url}/#archive`);
      await page.waitForSelector('#search');
      const searches: Record<string, number[]> = {};
      const cases: [string, Record<string, string>][] = [
        ['cold: every message (builds the index)', {}],
        ['every message', {}],
        ['subject word', { subject: 'quarterly' }],
        ['sender', { from: 'sender42@example.com' }],
        ['date range', { since: '2024-01-01', until: '2024-03-31' }],
      ];
      for (const [name, fields] of cases) {
        const rounds = name.startsWith('cold') ? 1 : runs;
        for (let i = 0; i < rounds; i++) {
          for (const field of ['from', 'to', 'subject', 'attachment', 'since', 'until'])
            await page.fill(`#search-${field}`, fields[field] ?? '');
          // In the page (a string: this project's TypeScript has no DOM types): press Search,
          // wait until the new result line is on screen.
          const ms = (await page.evaluate(`(async () => {
            const before = document.querySelector('#search-count');
            const t0 = performance.now();
            document.querySelector('#search-button').click();
            await new Promise((resolve) => {
              const check = () => {
                const now = document.querySelector('#search-count');
                if (now && now !== before) resolve();
                else requestAnimationFrame(check);
              };
              check();
            });
            return performance.now() - t0;
          })()`)) as number;
          (searches[name] ??= []).push(ms);
        }
        const total = await page.textContent('#search-count');
        console.log(
          `search ${name.padEnd(40)} ${median(searches[name]!).toFixed(0)} ms  (${total})`,
        );
      }
      console.log(`first page load (navigation to the form)  ${median(loads).toFixed(0)} ms`);
      if (values.out)
        writeFileSync(
          values.out,
          JSON.stringify(
            {
              messages,
              node: process.version,
              firstPageLoadMs: { median: median(loads), runs: loads },
              searchMs: Object.fromEntries(
                Object.entries(searches).map(([k, v]) => [k, { median: median(v), runs: v }]),
              ),
            },
            null,
            2,
          ) + '\n',
        );
    } finally {
      await app.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();

/**
 * npm run bench:watch [-- --messages 100 --soak-minutes 30 --cut-every 180 --out FILE]
 *
 * Push latency: a watch on INBOX of a private Dovecot, and another client appending
 * `messages` messages one at a time: from the end of each APPEND to its row in onRows
 * (median, p90, p99, max). Then, with --soak-minutes, a soak through a fault proxy: a message
 * appended every second, every connection cut (and new ones refused for 2 s, a server restart)
 * every `cut-every` seconds; at the end every message must have come exactly once.
 */
import { writeFileSync } from 'node:fs';
import { scriptArgs } from '../script-args.js';
import { watch } from '../../src/read/watch.js';
import { startDovecot } from '../../test/helpers/dovecot.js';
import { startFaultProxy } from '../../test/helpers/fault-proxy.js';
import { imapClient } from '../../test/helpers/imap-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mail = (id: string) =>
  `From: a@example.com\r\nTo: b@example.com\r\nSubject: ${id}\r\nMessage-ID: <${id}@bench>\r\n\r\n${id}\r\n`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A watch whose rows are counted by subject, with the time each arrived. */
function watching(config: Record<string, unknown>) {
  const controller = new AbortController();
  const seen = new Map<string, number[]>();
  let reconnects = 0;
  const done = watch(config, 'FOLDER INBOX ALL', {
    signal: controller.signal,
    onRows: ({ rows }) => {
      for (const row of rows as { subject: string }[])
        seen.set(row.subject, [...(seen.get(row.subject) ?? []), performance.now()]);
    },
    onReconnect: () => reconnects++,
  });
  return { seen, reconnects: () => reconnects, stop: () => (controller.abort(), done) };
}

type Server = { host: string; imapPort: number };
type User = { name: string; password: string };

async function latency(server: Server, user: User, count: number) {
  const w = watching({
    server: server.host,
    port: server.imapPort,
    security: 'none',
    username: user.name,
    password: user.password,
  });
  await sleep(1000);
  const client = imapClient(user, server);
  await client.connect();
  const times: number[] = [];
  for (let n = 0; n < count; n++) {
    const id = `lat-${n}`;
    await client.append('INBOX', mail(id));
    const appended = performance.now();
    while (!w.seen.has(id)) await sleep(1);
    times.push(w.seen.get(id)![0]! - appended);
  }
  await client.logout();
  await w.stop();
  const sorted = [...times].sort((a, b) => a - b);
  return {
    messages: count,
    medianMs: Math.round(percentile(sorted, 50)),
    p90Ms: Math.round(percentile(sorted, 90)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted.at(-1)!),
    duplicates: [...w.seen.values()].filter((t) => t.length > 1).length,
  };
}

async function soak(server: Server, user: User, minutes: number, cutEverySeconds: number) {
  const proxy = await startFaultProxy(server.imapPort);
  const w = watching({
    server: server.host,
    port: proxy.port,
    security: 'none',
    username: user.name,
    password: user.password,
    reconnectDelay: 500,
  });
  const client = imapClient(user, server);
  await client.connect();
  const sent: string[] = [];
  const end = Date.now() + minutes * 60_000;
  let nextCut = Date.now() + cutEverySeconds * 1000;
  let cuts = 0;
  while (Date.now() < end) {
    const id = `soak-${sent.length}`;
    await client.append('INBOX', mail(id));
    sent.push(id);
    if (Date.now() >= nextCut) {
      proxy.outage(2000);
      cuts++;
      nextCut += cutEverySeconds * 1000;
    }
    await sleep(1000);
  }
  await client.logout();
  const settle = Date.now() + 30_000;
  while (sent.some((id) => !w.seen.has(id)) && Date.now() < settle) await sleep(100);
  await w.stop();
  await proxy.close();
  return {
    minutes,
    cutEverySeconds,
    cuts,
    reconnects: w.reconnects(),
    sent: sent.length,
    missed: sent.filter((id) => !w.seen.has(id)).length,
    duplicated: [...w.seen.values()].filter((t) => t.length > 1).length,
  };
}

async function main(): Promise<void> {
  const args = scriptArgs(
    'npm run bench:watch [-- --messages 100 --soak-minutes 30 --cut-every 180 --out FILE]',
    {
      messages: { type: 'string' },
      'soak-minutes': { type: 'string' },
      'cut-every': { type: 'string' },
      out: { type: 'string' },
    },
  );
  const values = args.values;
  const users = [
    { name: 'watchlat', password: 'watch-latency-pw' },
    { name: 'watchsoak', password: 'watch-soak-pw' },
  ];
  const server = await startDovecot({ users });
  try {
    const result: Record<string, unknown> = {
      date: new Date().toISOString(),
      node: process.version,
      latency: await latency(server, users[0]!, args.count('messages', 100)),
    };
    console.log(JSON.stringify(result.latency));
    const minutes = args.count('soak-minutes', 0, 0);
    if (minutes > 0) {
      result.soak = await soak(server, users[1]!, minutes, args.count('cut-every', 180));
      console.log(JSON.stringify(result.soak));
    }
    if (values.out) writeFileSync(values.out, JSON.stringify(result, null, 2) + '\n');
  } finally {
    await server.stop();
  }
}

await main();

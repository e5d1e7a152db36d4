/**
 * npm run soak [-- --messages 100000 --fault-every 3000 --dir PARENT]
 *
 * A long unattended run under faults, not part of npm test: a private Dovecot with a seeded
 * mailbox, the fault proxy cutting every session after about `fault-every` messages' worth of
 * bytes, then readStream of every message (raw) and an import of the mailbox into the archive,
 * each going on by itself through the cuts (reconnect). Prints, per part: messages, faults met,
 * lost and duplicated (by SHA-256 of the exact bytes; both must be 0), peak RSS, throughput.
 * Exits 1 when anything was lost or duplicated.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statfsSync, existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Archive, readStream, runImport } from '../src/index.js';
import { startDovecot } from '../test/helpers/dovecot.js';
import { startFaultProxy } from '../test/helpers/fault-proxy.js';
import { BENCH_FOLDERS, seedDovecotUser } from './bench/seed-maildir.js';
import { scriptArgs } from './script-args.js';

const USER = { name: 'soak', password: 'soak-password' };
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** SHA-256 -> count, of every message file of the seeded maildir (what the server holds). */
function expectedHashes(maildir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const folder of BENCH_FOLDERS)
    for (const file of readdirSync(join(maildir, folder.dir, 'cur'))) {
      const hash = sha(readFileSync(join(maildir, folder.dir, 'cur', file)));
      counts.set(hash, (counts.get(hash) ?? 0) + 1);
    }
  return counts;
}

/** Lost and duplicated messages of `got` against `expected`, by content. */
function compare(
  expected: Map<string, number>,
  got: Map<string, number>,
): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  for (const [hash, count] of expected) lost += Math.max(0, count - (got.get(hash) ?? 0));
  for (const [hash, count] of got) duplicated += Math.max(0, count - (expected.get(hash) ?? 0));
  return { lost, duplicated };
}

function report(
  part: string,
  messages: number,
  started: number,
  faults: number,
  result: { lost: number; duplicated: number },
): void {
  const seconds = (performance.now() - started) / 1000;
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(
    `${part}: ${messages} messages in ${seconds.toFixed(1)} s (${Math.round(messages / seconds)}/s), ${faults} faults met, lost ${result.lost}, duplicated ${result.duplicated}, peak RSS ${rss.toFixed(0)} MB`,
  );
}

async function main(): Promise<number> {
  const args = scriptArgs('npm run soak [-- --messages 100000 --fault-every 3000 --dir PARENT]', {
    messages: { type: 'string' },
    'fault-every': { type: 'string' },
    dir: { type: 'string' },
  });
  const values = args.values;
  const count = args.count('messages', 100_000);
  const faultEvery = args.count('fault-every', 3000);
  const ram =
    existsSync('/dev/shm') &&
    statfsSync('/dev/shm').bavail * statfsSync('/dev/shm').bsize > count * 100_000 * 3;
  const parentDir = values.dir ?? (ram ? '/dev/shm' : undefined);
  const server = await startDovecot({ users: [USER], ...(parentDir ? { parentDir } : {}) });
  const proxy = await startFaultProxy(server.imapPort);
  const work = mkdtempSync(join(parentDir ?? '/tmp', 'imap-connector-soak-'));
  try {
    const maildir = join(server.dir, 'mail', USER.name);
    console.log(`Seeding ${count} messages ...`);
    const seeded = seedDovecotUser(server, USER.name, count);
    const expected = expectedHashes(maildir);
    // Every session is cut after about `faultEvery` average messages of bytes.
    const afterServerBytes = Math.round((seeded.bytes / count) * faultEvery);
    console.log(
      `${(seeded.bytes / 1e6).toFixed(0)} MB; each session cut after ${(afterServerBytes / 1e6).toFixed(1)} MB`,
    );
    const config = {
      server: server.host,
      port: proxy.port,
      security: 'none',
      username: USER.name,
      password: USER.password,
      reconnectAttempts: 5,
      reconnectDelay: 100,
    };

    proxy.set({ kind: 'cut', afterServerBytes });
    let started = performance.now();
    let faults = proxy.faults();
    const read = new Map<string, number>();
    let rows = 0;
    for await (const row of readStream(config, 'ALL', { raw: true })) {
      const hash = sha(Buffer.from((row as { raw: string }).raw, 'base64'));
      read.set(hash, (read.get(hash) ?? 0) + 1);
      rows++;
    }
    const readResult = compare(expected, read);
    report('read', rows, started, proxy.faults() - faults, readResult);

    started = performance.now();
    faults = proxy.faults();
    const archivePath = join(work, 'soak.archive');
    const imported = await runImport(config, { destination: { archive: archivePath } });
    const archive = Archive.open(archivePath, { create: false, readonly: true });
    const stored = new Map<string, number>();
    for (const message of archive.messages()) {
      const hash = sha(message.raw);
      stored.set(hash, (stored.get(hash) ?? 0) + 1);
    }
    archive.close();
    const importResult = compare(expected, stored);
    report('import', imported.totals.copied, started, proxy.faults() - faults, importResult);
    const clean = [readResult, importResult].every((r) => r.lost === 0 && r.duplicated === 0);
    console.log(clean ? 'SOAK OK: nothing lost, nothing duplicated' : 'SOAK FAILED');
    return clean ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await proxy.close();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

/**
 * npm run bench:batch [-- --mailboxes 50 --messages 200 --runs 3 --parallel 1,2,4 --out FILE
 *                        --destination archive|account]
 *
 * A batch of many mailboxes into the embedded archive (or, with `--destination account`, each
 * into a new account of the same Dovecot), at several parallel settings, each run
 * in its own process (so its peak RSS is its own) with a fresh archive and state: total time,
 * messages per second and peak memory per setting, and the speed-up over one at a time. The
 * per-server connection cap is set to the parallel setting (twice that into accounts: the
 * source and the destination are one server). Runs interleave settings.
 *
 * Where the 2 cores went, per setting: the batch process's CPU (its main thread, where all
 * the JavaScript runs, and its other threads), Dovecot's (the master and every imap process),
 * and the machine's busy share. `--profile DIR` runs each setting once more under --cpu-prof
 * and prints each thread's top self time.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../script-args.js';
import { addDovecotUsers, startDovecot } from '../../test/helpers/dovecot.js';
import { seedDovecotUser } from './seed-maildir.js';
import { machineCpuSeconds, threadSplit, treeCpuSeconds } from './cpu-use.js';
import { formatHotSpot, summarizeProfile } from './summarize-profile.js';

interface Sample {
  wallMs: number;
  maxRssMb: number;
  copied: number;
  /** CPU seconds: the batch process's main thread and its other threads, Dovecot's tree. */
  mainThreadS: number;
  otherThreadsS: number;
  /** The other threads' CPU seconds by thread name. */
  threads: Record<string, number>;
  dovecotS: number;
  /** Busy share of all the machine's cores over the run. */
  machineBusy: number;
  /** Cores' worth of the machine's busy time neither process accounts for (the kernel's own). */
  unattributedCores: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One batch run in a child process: node batch-bench.js --child PROFILE [--into-accounts]. */
async function child(profile: string, intoAccounts: boolean): Promise<void> {
  // As the CLI's batch run does once it has read such a profile (IMAP_CONNECTOR_HEAP=v8 to compare).
  if (intoAccounts) (await import('../../src/cli/lean-heap.js')).keepHeapLean(process.env);
  const { runBatch } = await import('../../src/index.js');
  const report = await runBatch(profile);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const threads = threadSplit(process.pid);
  process.stdout.write(
    JSON.stringify({ copied: report.totals.copied, status: report.status, maxRssMb, threads }) +
      '\n',
  );
}

function runChild(
  profile: string,
  dovecotPid: number,
  intoAccounts: boolean,
  profileDir?: string,
): Promise<Sample> {
  const script = fileURLToPath(import.meta.url);
  const started = performance.now();
  const machineBefore = machineCpuSeconds();
  const dovecotBefore = treeCpuSeconds(dovecotPid);
  const flags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  return new Promise((resolve, reject) => {
    const into = intoAccounts ? ['--into-accounts'] : [];
    const proc = spawn(process.execPath, [...flags, script, '--child', profile, ...into], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`batch run exited with ${code}`));
      const line = JSON.parse(out.trim().split('\n').at(-1)!) as {
        copied: number;
        status: string;
        maxRssMb: number;
        threads: { mainThread: number; otherThreads: number; byName: Record<string, number> };
      };
      if (line.status !== 'done') return reject(new Error(`batch ended ${line.status}`));
      const machineAfter = machineCpuSeconds();
      const wallMs = performance.now() - started;
      const dovecotS = treeCpuSeconds(dovecotPid) - dovecotBefore;
      const ownS = line.threads.mainThread + line.threads.otherThreads;
      resolve({
        wallMs,
        maxRssMb: line.maxRssMb,
        copied: line.copied,
        threads: line.threads.byName,
        mainThreadS: line.threads.mainThread,
        otherThreadsS: line.threads.otherThreads,
        dovecotS,
        machineBusy:
          (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
        unattributedCores:
          (machineAfter.busy - machineBefore.busy - ownS - dovecotS) / (wallMs / 1000),
      });
    });
  });
}

/** A run's CPU as seconds and as cores: what bound it shows as a core near 1.0 or a machine near 100%. */
function describeCpu(sample: Sample): string {
  const cores = (seconds: number): string => (seconds / (sample.wallMs / 1000)).toFixed(2);
  return (
    `main thread ${sample.mainThreadS.toFixed(1)} s (${cores(sample.mainThreadS)} core), ` +
    `other threads ${sample.otherThreadsS.toFixed(1)} s, Dovecot ${sample.dovecotS.toFixed(1)} s ` +
    `(${cores(sample.dovecotS)} core), machine ${Math.round(sample.machineBusy * 100)}% busy ` +
    `(${sample.unattributedCores.toFixed(2)} core unattributed)`
  );
}

function medianCpu(list: readonly Sample[]): Record<string, number> {
  const wall = median(list.map((s) => s.wallMs)) / 1000;
  const of = (pick: (s: Sample) => number): number => Number(median(list.map(pick)).toFixed(2));
  return {
    mainThreadS: of((s) => s.mainThreadS),
    mainThreadCores: Number((of((s) => s.mainThreadS) / wall).toFixed(2)),
    otherThreadsS: of((s) => s.otherThreadsS),
    dovecotS: of((s) => s.dovecotS),
    dovecotCores: Number((of((s) => s.dovecotS) / wall).toFixed(2)),
    machineBusyShare: of((s) => s.machineBusy),
    unattributedCores: of((s) => s.unattributedCores),
  };
}

/**
 * The profiles of a --cpu-prof directory: the main thread's (named <pid>.0), and those of all
 * worker threads summed (one archive packer per mailbox).
 */
function printProfiles(dir: string): void {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  const isMain = (name: string): boolean => /\.\d+\.0\.\d+\.cpuprofile$/.test(name);
  const groups = [
    { label: 'main thread', paths: files.filter(isMain) },
    { label: 'worker threads', paths: files.filter((name) => !isMain(name)) },
  ];
  for (const { label, paths } of groups) {
    if (paths.length === 0) continue;
    console.log(`  ${label} (${paths.length} profile${paths.length > 1 ? 's' : ''}):`);
    const spots = summarizeProfile(
      paths.map((name) => join(dir, name)),
      10,
    );
    for (const spot of spots) console.log(`    ${formatHotSpot(spot)}`);
  }
}

async function main(): Promise<void> {
  const args = scriptArgs(
    'npm run bench:batch [-- --mailboxes 50 --messages 200 --runs 3 --parallel 1,2,4 --out FILE --destination archive|account --profile DIR]',
    {
      child: { type: 'string' },
      'into-accounts': { type: 'boolean', default: false },
      destination: { type: 'string', default: 'archive' },
      mailboxes: { type: 'string' },
      messages: { type: 'string' },
      runs: { type: 'string' },
      parallel: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
    },
  );
  const values = args.values;
  if (values.child) return child(values.child, values['into-accounts']);
  if (values.destination !== 'archive' && values.destination !== 'account')
    throw new Error('--destination must be archive or account');
  const intoAccounts = values.destination === 'account';
  const mailboxes = args.count('mailboxes', 50);
  const messages = args.count('messages', 200);
  const runs = args.count('runs', 3);
  const settings = args.counts('parallel', [1, 2, 4]);
  const users = Array.from({ length: mailboxes }, (_, i) => ({
    name: `batch${String(i).padStart(3, '0')}`,
    password: `batch-password-${i}`,
  }));
  // A RAM disk keeps disk writeback out of the measurement, as in the main bench.
  const ram =
    existsSync('/dev/shm') &&
    statfsSync('/dev/shm').bavail * statfsSync('/dev/shm').bsize >
      mailboxes * messages * 100_000 * 4;
  const parentDir = ram ? '/dev/shm' : undefined;
  const server = await startDovecot({ users, ...(parentDir ? { parentDir } : {}) });
  const work = mkdtempSync(join(parentDir ?? '/tmp', 'imap-connector-batch-bench-'));
  try {
    console.log(`Seeding ${mailboxes} mailboxes of ${messages} messages ...`);
    let bytes = 0;
    for (const user of users) bytes += seedDovecotUser(server, user.name, messages).bytes;
    console.log(`${(bytes / 1e6).toFixed(1)} MB in all`);
    writeFileSync(join(work, 'users.csv'), users.map((u) => `${u.name},${u.password}`).join('\n'));
    // Each run into accounts copies into new, empty ones: the list names them per run.
    const freshAccounts = (dir: string, tag: string): string => {
      // New mailboxes' passwords as the batch's default policy wants them.
      const copies = users.map((u, i) => ({
        name: `${u.name}${tag}`,
        password: `Bench-Copy-${i}`,
      }));
      addDovecotUsers(server, copies);
      const rows = users.map(
        (u, i) => `${u.name},${u.password},${copies[i]!.name},${copies[i]!.password}`,
      );
      writeFileSync(
        join(dir, 'users.csv'),
        ['user,password,mailbox,mailbox password', ...rows].join('\n'),
      );
      return 'users.csv';
    };
    const profileFor = (parallel: number, run: number): string => {
      const dir = join(work, `p${parallel}-r${run}`);
      mkdirSync(dir);
      const path = join(dir, 'batch.json');
      const sourceServer = { server: server.host, port: server.imapPort, security: 'none' };
      writeFileSync(
        path,
        JSON.stringify({
          name: `bench-p${parallel}`,
          source: sourceServer,
          destination: intoAccounts ? { imap: sourceServer } : { archive: 'bench.archive' },
          mailboxes: {
            csv: intoAccounts ? freshAccounts(dir, `p${parallel}r${run}`) : '../users.csv',
          },
          throttle: {
            parallelMailboxes: parallel,
            maxConnectionsPerServer: intoAccounts ? 2 * parallel : parallel,
          },
        }),
      );
      return path;
    };
    console.log('Warming up (Dovecot builds its indexes on first access) ...');
    await runChild(profileFor(Math.max(...settings), 0), server.pid, intoAccounts);
    const samples = new Map<number, Sample[]>(settings.map((p) => [p, []]));
    for (let run = 1; run <= runs; run++)
      for (const parallel of settings) {
        const sample = await runChild(profileFor(parallel, run), server.pid, intoAccounts);
        if (sample.copied !== mailboxes * messages)
          throw new Error(`copied ${sample.copied}, expected ${mailboxes * messages}`);
        samples.get(parallel)!.push(sample);
        console.log(
          `  parallel ${parallel}, run ${run}: ${(sample.wallMs / 1000).toFixed(2)} s, ${sample.maxRssMb.toFixed(0)} MB, ${describeCpu(sample)}`,
        );
      }
    const results = Object.fromEntries(
      settings.map((parallel) => {
        const list = samples.get(parallel)!;
        const medianMs = median(list.map((s) => s.wallMs));
        return [
          `parallel-${parallel}`,
          {
            runs: list.length,
            medianMs: Math.round(medianMs),
            messagesPerS: Math.round((mailboxes * messages) / (medianMs / 1000)),
            peakRssMb: Math.round(Math.max(...list.map((s) => s.maxRssMb))),
            cpu: medianCpu(list),
          },
        ];
      }),
    );
    const base = results[`parallel-${settings[0]}`]!.medianMs;
    const speedUp = Object.fromEntries(
      settings.map((p) => [
        `parallel-${p}`,
        Number((base / results[`parallel-${p}`]!.medianMs).toFixed(2)),
      ]),
    );
    const summary = {
      date: new Date().toISOString().slice(0, 10),
      machine: {
        cpus: cpus().length,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        ramDisk: ram,
      },
      workload: {
        destination: values.destination,
        mailboxes,
        messagesPerMailbox: messages,
        megabytes: Number((bytes / 1e6).toFixed(1)),
      },
      results,
      speedUpOverFirst: speedUp,
    };
    console.log(JSON.stringify(summary, null, 2));
    if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2) + '\n');
    if (values.profile)
      for (const parallel of settings) {
        const dir = join(values.profile, `parallel-${parallel}`);
        mkdirSync(dir, { recursive: true });
        const sample = await runChild(
          profileFor(parallel, runs + 1),
          server.pid,
          intoAccounts,
          dir,
        );
        console.log(`\nparallel ${parallel} under --cpu-prof: ${describeCpu(sample)}`);
        console.log(`  other threads: ${JSON.stringify(sample.threads)}`);
        printProfiles(dir);
      }
  } finally {
    rmSync(work, { recursive: true, force: true });
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

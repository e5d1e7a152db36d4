/**
 * npm run bench:queue [-- --mailboxes 50 --messages 200 --workers 1,2,4 --out FILE]
 *
 * The batch of bench:batch (50 mailboxes of 200 messages) on a Redis queue, copied into 50
 * new accounts of the same Dovecot by 1, 2 and 4 worker processes (each imports one mailbox
 * at a time): total time from `batch run --queue` to its report, and each worker's peak RSS
 * (VmHWM). Every destination is checked by message count. Redis and Dovecot are private, on
 * loopback, stopped at the end.
 *
 * Where the 2 cores went, per setting: each worker's CPU (its main thread and other threads),
 * the coordinator's (this process), Dovecot's and Redis's, and the machine's busy share.
 * `--profile DIR` runs the workers under --cpu-prof and prints each one's top self time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../script-args.js';
import { addDovecotUsers, startDovecot } from '../../test/helpers/dovecot.js';
import { startRedis } from '../../test/helpers/redis.js';
import { runQueuedBatch } from '../../src/queue/queue-batch.js';
import { parseQueueUrl } from '../../src/queue/queue-connection.js';
import { parseQueueKey } from '../../src/queue/sealed.js';
import { seedDovecotUser } from './seed-maildir.js';
import { machineCpuSeconds, threadSplit, treeCpuSeconds } from './cpu-use.js';
import { formatHotSpot, summarizeProfile } from './summarize-profile.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Peak resident memory of a running process, in MB (Linux's VmHWM). */
function peakRssMb(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line ? Math.round(Number(line[1]) / 1024) : NaN;
}

/** CPU seconds so far of each worker's threads, the coordinator, Dovecot, Redis and the machine. */
interface CpuReading {
  workers: { mainThread: number; otherThreads: number }[];
  coordinator: number;
  dovecot: number;
  redis: number;
  machine: { busy: number; total: number };
}

function cpuReading(
  workers: readonly ChildProcess[],
  dovecotPid: number,
  redisPid: number,
): CpuReading {
  const own = process.cpuUsage();
  return {
    workers: workers.map((child) => threadSplit(child.pid!)),
    coordinator: (own.user + own.system) / 1e6,
    dovecot: treeCpuSeconds(dovecotPid),
    redis: treeCpuSeconds(redisPid),
    machine: machineCpuSeconds(),
  };
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** What a run used between two readings, in seconds and as cores (seconds per second of wall). */
function cpuUse(before: CpuReading, after: CpuReading, wall: number): Record<string, unknown> {
  const round = (n: number): number => Number(n.toFixed(2));
  return {
    workerMainThreadCores: after.workers.map((w, i) =>
      round((w.mainThread - before.workers[i]!.mainThread) / wall),
    ),
    workerOtherThreadsCores: after.workers.map((w, i) =>
      round((w.otherThreads - before.workers[i]!.otherThreads) / wall),
    ),
    coordinatorCores: round((after.coordinator - before.coordinator) / wall),
    dovecotCores: round((after.dovecot - before.dovecot) / wall),
    redisCores: round((after.redis - before.redis) / wall),
    machineBusyShare: round(
      (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total),
    ),
    // The machine's busy time no process above accounts for: the kernel's own work (loopback
    // TCP, file system writeback) and every other process on the machine.
    unattributedCores: round(
      (after.machine.busy -
        before.machine.busy -
        sum(after.workers.map((w) => w.mainThread + w.otherThreads)) +
        sum(before.workers.map((w) => w.mainThread + w.otherThreads)) -
        (after.coordinator - before.coordinator) -
        (after.dovecot - before.dovecot) -
        (after.redis - before.redis)) /
        wall,
    ),
  };
}

/** Each worker's profile (written when it exits): top self time. */
function printProfiles(dir: string): void {
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'))) {
    console.log(`    ${name}:`);
    for (const spot of summarizeProfile(join(dir, name), 10))
      console.log(`      ${formatHotSpot(spot)}`);
  }
}

async function main(): Promise<void> {
  const args = scriptArgs(
    'npm run bench:queue [-- --mailboxes 50 --messages 200 --workers 1,2,4 --out FILE --profile DIR]',
    {
      mailboxes: { type: 'string' },
      messages: { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
    },
  );
  const values = args.values;
  const mailboxes = args.count('mailboxes', 50);
  const messages = args.count('messages', 200);
  const settings = args.counts('workers', [1, 2, 4]);
  const users = Array.from({ length: mailboxes }, (_, i) => ({
    name: `queue${String(i).padStart(3, '0')}`,
    password: `queue-password-${i}`,
  }));
  const server = await startDovecot({ users, parentDir: '/dev/shm' });
  const redis = await startRedis();
  const keyText = randomBytes(32).toString('base64');
  const work = mkdtempSync(join('/tmp', 'imap-connector-queue-bench-'));
  const running: ChildProcess[] = [];
  try {
    let bytes = 0;
    for (const user of users) bytes += seedDovecotUser(server, user.name, messages).bytes;
    console.log(`${mailboxes} mailboxes, ${(bytes / 1e6).toFixed(1)} MB in all`);
    const results: Record<string, unknown> = {};
    for (const count of settings) {
      const targets = users.map((user) => ({
        name: `${user.name}w${count}`,
        password: `Target-${randomBytes(6).toString('hex')}A1`,
      }));
      addDovecotUsers(server, targets);
      const dir = mkdtempSync(join(work, `w${count}-`));
      writeFileSync(
        join(dir, 'panel.csv'),
        users
          .map(
            (u, i) =>
              `${server.host};${u.name};${u.password};${targets[i]!.name};${targets[i]!.password}`,
          )
          .join('\n'),
      );
      const endpoint = { server: server.host, port: server.imapPort, security: 'none' };
      writeFileSync(
        join(dir, 'batch.json'),
        JSON.stringify({
          name: `queue-bench-${count}`,
          source: endpoint,
          destination: { imap: endpoint },
          mailboxes: { csv: 'panel.csv' },
          preflight: { passwordPolicy: { minLength: 8 } },
          throttle: { parallelMailboxes: count, maxConnectionsPerServer: count * 2 },
        }),
      );
      const profileDir = values.profile && join(values.profile, `workers-${count}`);
      if (profileDir) mkdirSync(profileDir, { recursive: true });
      const flags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
      const workers = Array.from({ length: count }, () => {
        const child = spawn(process.execPath, [...flags, CLI, 'worker', '--queue', redis.bareUrl], {
          env: {
            ...process.env,
            IMAP_CONNECTOR_QUEUE_PASSWORD: redis.password,
            IMAP_CONNECTOR_QUEUE_KEY: keyText,
          },
          stdio: 'ignore',
        });
        running.push(child);
        return child;
      });
      // Workers start idle: their start-up CPU is left out of the run's.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const before = cpuReading(workers, server.pid, redis.pid());
      const started = performance.now();
      const report = await runQueuedBatch(join(dir, 'batch.json'), {
        queue: parseQueueUrl(redis.url),
        key: parseQueueKey(keyText),
        pollMs: 100,
      });
      const seconds = (performance.now() - started) / 1000;
      if (report.totals.copied !== mailboxes * messages)
        throw new Error(`copied ${report.totals.copied}, expected ${mailboxes * messages}`);
      const rss = workers.map((child) => peakRssMb(child.pid!));
      const cpu = cpuUse(before, cpuReading(workers, server.pid, redis.pid()), seconds);
      for (const child of workers) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      results[`workers-${count}`] = {
        seconds: Number(seconds.toFixed(2)),
        messagesPerS: Math.round((mailboxes * messages) / seconds),
        peakRssMbPerWorker: rss,
        cpu,
      };
      console.log(
        `  ${count} worker(s): ${seconds.toFixed(2)} s, ${Math.round((mailboxes * messages) / seconds)} msg/s, peak RSS per worker ${rss.join(', ')} MB`,
      );
      console.log(`    cpu: ${JSON.stringify(cpu)}`);
      if (profileDir) printProfiles(profileDir);
    }
    const summary = {
      date: new Date().toISOString().slice(0, 10),
      machine: {
        cpus: cpus().length,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      workload: {
        mailboxes,
        messagesPerMailbox: messages,
        megabytes: Number((bytes / 1e6).toFixed(1)),
      },
      results,
    };
    if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2) + '\n');
    console.log(JSON.stringify(summary.results));
  } finally {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
    await redis.stop();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).message}`);
  process.exitCode = 1;
});

/**
 * npm run bench [-- --messages 10000 --runs 3 --out bench-result.json --compare old.json
 *                   --only raw-meta,connector-envelope --profile DIR --dir PARENT
 *                   --mailbox standard|attachments --memory --trace DIR]
 *
 * Starts the private Dovecot, writes a deterministic mailbox, and measures in one run, each
 * scenario in its own process and at least three times (interleaved): the raw IMAP limit
 * (full and metadata FETCH on a plain socket), the usual Node approach (imapflow +
 * simpleParser, and imapflow envelope-only), and this connector (readStream, envelope and
 * full), and imports: into the embedded archive, into a second account, into an account that
 * already holds everything (every message a duplicate), and mbsync (isync) doing the same copy
 * when it is installed. Prints medians, the bytes the server sent for each scenario (from
 * Dovecot's logout lines) and the ratios the performance targets are stated in.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../script-args.js';
import { addDovecotUsers, startDovecot, type DovecotServer } from '../../test/helpers/dovecot.js';
import { BENCH_FOLDERS, MAILBOX_KINDS, seedDovecotUser, type MailboxKind } from './seed-maildir.js';
import { sourceGaps } from './command-trace.js';
import { machineCpuSeconds, treeCpuSeconds } from './cpu-use.js';
import type { CollectionCount } from './gc-count.js';
import { formatHotSpot, summarizeProfile } from './summarize-profile.js';
import type { MemoryAtPeak } from './memory-at-peak.js';

const SCENARIOS = [
  'raw-full',
  'raw-meta',
  'imapflow-simpleparser',
  'imapflow-envelope',
  'connector-envelope',
  'connector-full',
  'connector-text',
  'import-archive',
  'import-imap',
  'import-imap-all-duplicates',
  'import-imap-mark-seen',
  'mbsync-imap',
  'raw-stream-copy',
] as const;
// Scenarios that write: each run gets a fresh destination from prepareRun().
const IMPORTS = new Set<string>([
  'import-archive',
  'import-imap',
  'import-imap-all-duplicates',
  'import-imap-mark-seen',
  'mbsync-imap',
  'raw-stream-copy',
]);
type Name = (typeof SCENARIOS)[number];
const USER = { name: 'bench', password: 'bench-password' };
const MAX_MESSAGES = 100_000;

interface Sample {
  wallMs: number;
  /** What the server sent the source user's sessions (Dovecot's out=), in MB. */
  downloadedMb?: number;
  messages: number;
  firstRowMs: number | null;
  maxRssMb: number;
  /** With --memory: where the scenario's memory was at its peak. */
  memory?: MemoryAtPeak;
  /** CPU seconds over the run: the whole machine's busy time, and Dovecot's process tree's. */
  cpu?: { machineS: number; serverS: number };
  /** The scenario process's own CPU seconds: its main thread, and its other threads. */
  ownCpu?: { mainS: number; otherS: number };
  /** Its garbage collections (gc-count.ts). */
  gc?: CollectionCount;
}

interface Summary {
  runs: number;
  medianMs: number;
  messagesPerS: number;
  mbPerS: number;
  peakRssMb: number;
  firstRowMs: number | null;
  downloadedMb: number | null;
  /** With --memory: the breakdown of the run with the highest peak. */
  memoryAtPeak?: MemoryAtPeak;
  /**
   * Median CPU seconds per run: the machine's busy time, Dovecot's share, and the rest (the
   * client: the scenario's process and what it ran). On 2 cores a run cannot take less wall
   * time than machineS / 2: the floor that says whether less work or more overlap is left.
   */
  cpu?: { machineS: number; serverS: number; clientS: number };
  /**
   * Median CPU seconds of the scenario's own process: its main thread (the JavaScript) and its
   * other threads (V8's GC helpers and compilers, libuv's pool, worker threads). mbsync's own
   * time is not in it: it runs as a child.
   */
  ownCpu?: { mainS: number; otherS: number };
  /** Median garbage collections per run, young and full, and their main-thread pauses. */
  gc?: CollectionCount;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * MB the server sent to `user`'s sessions that logged out after `offset` in Dovecot's log: its
 * logout line says `in=... out=...` (imap_logout_format). The scenario has exited, so each of
 * its sessions has ended; their lines are all in once a first one is and a moment has passed.
 */
async function downloadedSince(
  server: DovecotServer,
  user: string,
  offset: number,
): Promise<number | undefined> {
  const log = join(server.dir, 'dovecot.log');
  const pattern = new RegExp(`imap\\(${user}\\).*Disconnected.* out=(\\d+)`);
  const outs = (): number[] =>
    readFileSync(log)
      .subarray(offset)
      .toString('latin1')
      .split('\n')
      .map((line) => pattern.exec(line)?.[1])
      .filter((value) => value !== undefined)
      .map(Number);
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  for (let waited = 0; waited < 2000 && outs().length === 0; waited += 50) await pause(50);
  await pause(200);
  const found = outs();
  return found.length === 0 ? undefined : Math.round(found.reduce((a, b) => a + b, 0) / 1e5) / 10;
}

const logSize = (server: DovecotServer): number => statSync(join(server.dir, 'dovecot.log')).size;

// --memory: each scenario reports where its memory was at its peak (set once in main).
let measureMemory = false;

function runScenario(
  name: Name,
  target: object,
  profileDir?: string,
  tracePath?: string,
): Promise<Sample> {
  // run-bench.js and scenario.js are built side by side into dist/scripts/bench/.
  const script = fileURLToPath(new URL('./scenario.js', import.meta.url));
  const profile = profileDir
    ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`]
    : [];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const memory = measureMemory ? ['--memory'] : [];
    const args = [...profile, script, name, JSON.stringify(target), ...memory];
    const env = tracePath ? { ...process.env, BENCH_TRACE: tracePath } : process.env;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`scenario ${name} exited with ${code}`));
      // Thrown here it would end the process past the finally that stops Dovecot.
      try {
        resolve({
          wallMs: performance.now() - started,
          ...(JSON.parse(out) as Omit<Sample, 'wallMs'>),
        });
      } catch {
        reject(new Error(`scenario ${name} printed no result: ${out.slice(0, 200)}`));
      }
    });
  });
}

interface BaseTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  folders: string[];
}

let runCounter = 0;

/** A fresh destination for a writing scenario: a new user, archive, state file or mbsync dir. */
function prepareRun(
  name: Name,
  base: BaseTarget,
  server: DovecotServer,
  full: { user: string; password: string },
): { target: object; cleanup: () => void } {
  if (!IMPORTS.has(name)) return { target: base, cleanup: () => undefined };
  const id = `${name.replace(/\W/g, '')}${++runCounter}`;
  const dir = join(server.dir, 'bench-runs', id);
  mkdirSync(dir, { recursive: true });
  if (name === 'import-archive')
    return {
      target: { ...base, archive: join(dir, 'bench.archive') },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  if (name === 'import-imap-all-duplicates')
    return {
      target: { ...base, destination: full, state: join(dir, 'state.db') },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  const user = { name: `dst${id}`, password: 'bench-destination' };
  addDovecotUsers(server, [user]);
  return {
    target: {
      ...base,
      destination: { user: user.name, password: user.password },
      state: join(dir, 'state.db'),
      workDir: dir,
    },
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(join(server.dir, 'mail', user.name), { recursive: true, force: true });
    },
  };
}

/** Messages in every folder of a destination account (STATUS), to check what a writer stored. */
async function countMessages(
  host: string,
  port: number,
  user: string,
  password: string,
): Promise<number> {
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host,
    port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: password },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  let total = 0;
  for (const folder of await client.list()) {
    if (folder.flags.has('\\Noselect')) continue;
    const status = await client.status(folder.path, { messages: true });
    total += status ? (status.messages ?? 0) : 0;
  }
  await client.logout();
  return total;
}

function summarise(samples: Sample[], bytes: number): Summary {
  const ms = median(samples.map((s) => s.wallMs));
  const messages = samples[0]!.messages;
  const firstRows = samples.map((s) => s.firstRowMs).filter((v): v is number => v !== null);
  const downloads = samples.map((s) => s.downloadedMb).filter((v): v is number => v !== undefined);
  return {
    runs: samples.length,
    medianMs: Math.round(ms),
    messagesPerS: Math.round(messages / (ms / 1000)),
    mbPerS: Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10,
    peakRssMb: Math.round(Math.max(...samples.map((s) => s.maxRssMb))),
    firstRowMs: firstRows.length ? Math.round(median(firstRows)) : null,
    downloadedMb: downloads.length ? median(downloads) : null,
    ...peakBreakdown(samples),
    ...cpuOf(samples),
    ...collectionsOf(samples),
  };
}

function cpuOf(samples: Sample[]): Pick<Summary, 'cpu' | 'ownCpu'> {
  const measured = samples.flatMap((s) => (s.cpu ? [s.cpu] : []));
  if (measured.length === 0) return {};
  const round = (value: number): number => Math.round(value * 100) / 100;
  const machineS = median(measured.map((c) => c.machineS));
  const serverS = median(measured.map((c) => c.serverS));
  const own = samples.flatMap((s) => (s.ownCpu ? [s.ownCpu] : []));
  return {
    cpu: { machineS: round(machineS), serverS: round(serverS), clientS: round(machineS - serverS) },
    ...(own.length === samples.length && {
      ownCpu: {
        mainS: round(median(own.map((c) => c.mainS))),
        otherS: round(median(own.map((c) => c.otherS))),
      },
    }),
  };
}

function collectionsOf(samples: Sample[]): Pick<Summary, 'gc'> {
  const counted = samples.flatMap((s) => (s.gc ? [s.gc] : []));
  if (counted.length !== samples.length || counted.length === 0) return {};
  return {
    gc: {
      young: median(counted.map((c) => c.young)),
      full: median(counted.map((c) => c.full)),
      pauseMs: Math.round(median(counted.map((c) => c.pauseMs))),
    },
  };
}

function peakBreakdown(samples: Sample[]): { memoryAtPeak?: MemoryAtPeak } {
  const measured = samples.flatMap((s) => (s.memory ? [s.memory] : []));
  if (measured.length === 0) return {};
  return { memoryAtPeak: measured.reduce((a, b) => (b.rssMb > a.rssMb ? b : a)) };
}

/** With --memory: where each scenario's memory was at its highest peak, in MB. */
function printMemoryTable(results: Partial<Record<Name, Summary>>): void {
  console.log(
    '\nMemory at the peak (MB): RSS = Node code + V8 heap (new space) + malloc heap (Buffers) + rest',
  );
  for (const [name, s] of Object.entries(results)) {
    const m = s.memoryAtPeak;
    if (!m) continue;
    console.log(
      `  ${name}: RSS ${m.rssMb}, Node code ${m.nodeCodeMb}, V8 heap ${m.v8HeapMb} (new space ${m.v8NewSpaceMb}, used ${m.v8UsedMb}), malloc heap ${m.mallocHeapMb}, external ${m.externalMb}`,
    );
  }
}

function ratios(r: Partial<Record<Name, Summary>>): Record<string, number | null> {
  const rate = (name: Name): number | undefined => r[name]?.messagesPerS;
  const ratio = (a: Name, b: Name): number | null =>
    rate(a) && rate(b) ? Math.round((rate(a)! / rate(b)!) * 100) / 100 : null;
  return {
    'connector-full / imapflow-simpleparser (target >= 3)': ratio(
      'connector-full',
      'imapflow-simpleparser',
    ),
    'connector-full / raw-full (stretch >= 0.5)': ratio('connector-full', 'raw-full'),
    'connector-text / raw-full (target >= 0.5)': ratio('connector-text', 'raw-full'),
    'connector-envelope / raw-meta (target >= 0.25, stretch 0.7)': ratio(
      'connector-envelope',
      'raw-meta',
    ),
    'connector-envelope / imapflow-envelope': ratio('connector-envelope', 'imapflow-envelope'),
    'import-imap / mbsync-imap': ratio('import-imap', 'mbsync-imap'),
    'import-imap / raw-stream-copy': ratio('import-imap', 'raw-stream-copy'),
    'import-imap-mark-seen / mbsync-imap': ratio('import-imap-mark-seen', 'mbsync-imap'),
    'imapflow-envelope / raw-meta': ratio('imapflow-envelope', 'raw-meta'),
  };
}

function printTable(
  results: Partial<Record<Name, Summary>>,
  previous?: Partial<Record<Name, Summary>>,
): void {
  const header = [
    'scenario',
    'median s',
    'msg/s',
    'MB/s',
    'peak RSS MB',
    'first row ms',
    'downloaded MB',
    'CPU s: all, server, client',
    'own CPU s: main, other threads',
    'GCs: young, full (pause ms)',
    ...(previous ? ['msg/s before'] : []),
  ];
  const rows = Object.entries(results).map(([name, s]) => [
    name,
    (s.medianMs / 1000).toFixed(2),
    String(s.messagesPerS),
    String(s.mbPerS),
    String(s.peakRssMb),
    s.firstRowMs === null ? '-' : String(s.firstRowMs),
    s.downloadedMb === null || s.downloadedMb === undefined ? '-' : String(s.downloadedMb),
    s.cpu ? `${s.cpu.machineS}, ${s.cpu.serverS}, ${s.cpu.clientS}` : '-',
    s.ownCpu ? `${s.ownCpu.mainS}, ${s.ownCpu.otherS}` : '-',
    s.gc ? `${s.gc.young}, ${s.gc.full} (${s.gc.pauseMs})` : '-',
    ...(previous ? [String(previous[name as Name]?.messagesPerS ?? '-')] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}

/** What runs after the measured ones need: the scenarios and how to give each a fresh destination. */
interface ExtraRuns {
  names: Name[];
  target: BaseTarget;
  server: DovecotServer;
  full: { user: string; password: string };
}

/** One more run of each scenario, its destination made and removed as for a measured run. */
async function oneMoreRun(
  extra: ExtraRuns,
  names: Name[],
  run: (name: Name, target: object) => Promise<void>,
): Promise<void> {
  for (const name of names) {
    const prepared = prepareRun(name, extra.target, extra.server, extra.full);
    await run(name, prepared.target);
    prepared.cleanup();
  }
}

/** One more run of each connector scenario with its commands traced (command-trace.ts). */
function traceScenarios(extra: ExtraRuns, dir: string): Promise<void> {
  const traced = extra.names.filter((n) => n.startsWith('connector-') || n.startsWith('import-'));
  return oneMoreRun(extra, traced, async (name, target) => {
    const path = join(dir, `${name}.trace.jsonl`);
    await runScenario(name, target, undefined, path);
    console.log(`\nCommands of ${name} (${path}):`);
    for (const line of sourceGaps(path)) console.log(`  ${line}`);
  });
}

/** One more run of each scenario under --cpu-prof, and where its CPU time went. */
function profileScenarios(extra: ExtraRuns, dir: string): Promise<void> {
  const profiled = extra.names.filter((name) => name !== 'mbsync-imap');
  return oneMoreRun(extra, profiled, async (name, target) => {
    await runScenario(name, target, dir);
    console.log(`\nCPU profile of ${name} (${join(dir, `${name}.cpuprofile`)}), top self time:`);
    for (const spot of summarizeProfile(join(dir, `${name}.cpuprofile`)))
      console.log(`  ${formatHotSpot(spot)}`);
  });
}

async function main(): Promise<void> {
  const args = scriptArgs(
    'npm run bench [-- --messages 10000 --runs 3 --out bench-result.json --compare old.json --only raw-meta,connector-envelope --profile DIR --dir PARENT --mailbox standard|attachments --memory --trace DIR]',
    {
      messages: { type: 'string' },
      runs: { type: 'string' },
      out: { type: 'string' },
      compare: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'string' },
      trace: { type: 'string' },
      dir: { type: 'string' },
      mailbox: { type: 'string' },
      memory: { type: 'boolean' },
    },
  );
  const values = args.values;
  const count = args.count('messages', 10_000);
  measureMemory = values.memory === true;
  const runs = args.count('runs', 3);
  const mailbox = (values.mailbox ?? 'standard') as MailboxKind;
  if (!MAILBOX_KINDS.includes(mailbox))
    throw new Error(`--mailbox must be one of ${MAILBOX_KINDS.join(', ')}`);
  if (!(count >= 1 && count <= MAX_MESSAGES) || !(runs >= 1))
    throw new Error(`--messages must be 1-${MAX_MESSAGES} and --runs at least 1`);
  const hasMbsync = (() => {
    try {
      execFileSync('mbsync', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const asked = (values.only?.split(',') ?? [...SCENARIOS]) as Name[];
  // Without mbsync its scenario is left out, asked for or not, rather than failing the bench.
  if (!hasMbsync && asked.includes('mbsync-imap'))
    console.log(
      'mbsync is not installed (Debian package isync): the mbsync-imap scenario is left out.',
    );
  const only = asked.filter((name) => name !== 'mbsync-imap' || hasMbsync);
  // Writers (imports, mbsync) make the disk's writeback the noise of the measurement (the same
  // 2,000-message import took 6 s and 13 s in a row on this machine's disk): use a RAM disk
  // when there is room for the mailbox and two copies.
  const neededBytes = count * (mailbox === 'attachments' ? 500_000 : 100_000) * 3;
  const ramDisk =
    values.dir ??
    (existsSync('/dev/shm') &&
    statfsSync('/dev/shm').bavail * statfsSync('/dev/shm').bsize > neededBytes
      ? '/dev/shm'
      : undefined);
  const server = await startDovecot({ users: [USER], ...(ramDisk ? { parentDir: ramDisk } : {}) });
  console.log(`Dovecot's mail store: ${server.dir}${ramDisk === '/dev/shm' ? ' (RAM disk)' : ''}`);
  // Interrupted (Ctrl-C, a kill by PID): Dovecot stopped and its files removed, as at the end.
  const stopOnSignal = (): void => void server.stop().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    console.log(`Seeding ${count} messages (${mailbox} mailbox) into ${server.dir} ...`);
    const seeded = seedDovecotUser(server, USER.name, count, mailbox);
    console.log(`${(seeded.bytes / 1e6).toFixed(1)} MB in ${JSON.stringify(seeded.perFolder)}`);
    const target = {
      host: server.host,
      port: server.imapPort,
      user: USER.name,
      password: USER.password,
      folders: BENCH_FOLDERS.map((f) => f.name),
    };
    console.log('Warming up (Dovecot builds its indexes and cache on first access) ...');
    for (const name of ['raw-full', 'imapflow-envelope', 'raw-meta'] as const)
      await runScenario(name, target);
    // The all-duplicates scenario imports into an account that already holds everything.
    const full = { user: 'benchfull', password: 'bench-full' };
    if (only.includes('import-imap-all-duplicates')) {
      addDovecotUsers(server, [{ name: full.user, password: full.password }]);
      console.log('Filling the account for import-imap-all-duplicates (not measured) ...');
      const fill = prepareRun('import-imap', target, server, full);
      await runScenario('import-imap', { ...fill.target, destination: full });
    }
    const samples: Partial<Record<Name, Sample[]>> = {};
    for (let run = 0; run < runs; run++) {
      for (const name of only) {
        const prepared = prepareRun(name, target, server, full);
        const logOffset = logSize(server);
        const busyBefore = machineCpuSeconds().busy;
        const serverBefore = treeCpuSeconds(server.pid);
        const sample = await runScenario(name, prepared.target);
        sample.cpu = {
          machineS: machineCpuSeconds().busy - busyBefore,
          serverS: treeCpuSeconds(server.pid) - serverBefore,
        };
        const downloaded = await downloadedSince(server, USER.name, logOffset);
        if (downloaded !== undefined) sample.downloadedMb = downloaded;
        const written = (prepared.target as { destination?: { user: string; password: string } })
          .destination;
        // A writer is checked by what the destination holds, not by what it says.
        if (written) {
          const stored = await countMessages(
            server.host,
            server.imapPort,
            written.user,
            written.password,
          );
          if (stored !== count)
            throw new Error(
              `${name} left ${stored} messages at the destination, expected ${count}`,
            );
          if (sample.messages === -1) sample.messages = count;
        }
        prepared.cleanup();
        if (sample.messages !== count)
          throw new Error(`${name} saw ${sample.messages} messages, expected ${count}`);
        (samples[name] ??= []).push(sample);
        console.log(
          `  run ${run + 1}/${runs} ${name}: ${(sample.wallMs / 1000).toFixed(2)} s, ${Math.round(sample.maxRssMb)} MB`,
        );
      }
    }
    const results = Object.fromEntries(
      only.map((name) => [name, summarise(samples[name]!, seeded.bytes)]),
    ) as Partial<Record<Name, Summary>>;
    const previous = values.compare
      ? (
          JSON.parse(readFileSync(values.compare, 'utf8')) as {
            results: Partial<Record<Name, Summary>>;
          }
        ).results
      : undefined;
    const machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      dovecot: execFileSync('/usr/sbin/dovecot', ['--version']).toString().trim(),
    };
    console.log(
      `\n${count} messages (${mailbox} mailbox), ${(seeded.bytes / 1e6).toFixed(1)} MB, ${runs} runs each (medians, whole-process wall time), ${machine.cpus} x ${machine.cpuModel}, Node ${machine.node}, Dovecot ${machine.dovecot}\n`,
    );
    printTable(results, previous);
    if (measureMemory) printMemoryTable(results);
    const ratioTable = ratios(results);
    console.log('');
    for (const [name, value] of Object.entries(ratioTable)) console.log(`${name}: ${value ?? '-'}`);
    const out = values.out ?? 'bench-result.json';
    writeFileSync(
      out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          machine,
          messages: count,
          mailbox,
          bytes: seeded.bytes,
          perFolder: seeded.perFolder,
          runs,
          results,
          ratios: ratioTable,
          samples,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nWritten to ${out}`);
    const extra: ExtraRuns = { names: only, target, server, full };
    if (values.profile) await profileScenarios(extra, values.profile);
    if (values.trace) {
      mkdirSync(values.trace, { recursive: true });
      await traceScenarios(extra, values.trace);
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).message}`);
  process.exitCode = 1;
});

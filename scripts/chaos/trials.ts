/**
 * One chaos trial: a seeded random combination of what issue 24 found failing only where
 * features meet: hostile messages among good ones, batch topologies (parallel, caps, source
 * and destination on one server), local and queued batches, consumers that stop early, kill -9
 * of a run or a worker, Ctrl-C, and server faults (cuts, silence, a session limit, a restart);
 * half the imports go on with mail expunged at the source and --mirror-deletions. After each
 * trial the invariants of shared/DESIGN.md are checked and counted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  archiveContent,
  compare,
  expungeAtRandom,
  mailboxContent,
  twinOne,
  newAccount,
  seededAccount,
  sizeOf,
  type Account,
  type Content,
  type World,
} from './world.js';
import { CLI, runCli, type Ended } from './processes.js';
import { addPoison, cutOnPoison, poisonedRunProblems } from './poison.js';

export interface Outcome {
  path: string;
  faults: number;
  kills: number;
  lost: number;
  duplicated: number;
  stalled: number;
  /** A run that exited 0 while not everything was done. */
  falseSuccess: number;
  /** `batch status` saying RUNNING for a run no process runs. */
  statusLies: number;
  /** What went wrong, to replay: the seed and the checks that failed. */
  problems: string[];
}

// Every process gets this long; a healthy trial needs seconds.
const BUDGET_MS = 120_000;
// Runs after a fault or a kill until one ends well: the run must then have finished the job.
const MAX_RUNS = 5;

// poison: arm() leaves the proxy passing; the trial cuts on its message (poison.ts).
type Fault = 'none' | 'cut' | 'silent' | 'limit' | 'restart' | 'poison';

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * Arms the proxy (IMAP's unless another is given) for a fault; returns a stop for timed ones (a
 * restart mid-run). A session limit is at least `minSessions`: an IMAP-to-IMAP import whose
 * source and destination are one server needs two sessions at once, and no client could
 * finish it under a limit of one. A cut or silence comes within the server's first
 * `within` bytes (past the greeting).
 */
export function arm(
  world: World,
  random: () => number,
  fault: Fault,
  { minSessions = 1, proxy = world.proxy, within = 60_000 } = {},
): () => void {
  proxy.limitSessions(undefined);
  proxy.set({ kind: 'pass' });
  if (fault === 'cut' || fault === 'silent')
    proxy.set({
      kind: fault,
      afterServerBytes: 300 + Math.floor(random() * within),
      connections: 1 + Math.floor(random() * 2),
    });
  if (fault === 'limit') proxy.limitSessions(Math.max(minSessions, 1 + Math.floor(random() * 2)));
  if (fault !== 'restart') return () => undefined;
  const timer = setTimeout(() => proxy.outage(500 + random() * 1500), 200 + random() * 1500);
  return () => clearTimeout(timer);
}

/**
 * A connection file for the source behind a proxy (faults apply; IMAP's unless another is
 * given), password from the env.
 */
export function sourceFile(
  world: World,
  dir: string,
  account: Account,
  proxy = world.proxy,
): string {
  const path = join(dir, `source-${account.name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      server: world.dovecot.host,
      port: proxy.port,
      security: 'none',
      username: account.name,
      timeout: 3000,
      reconnectAttempts: 6,
      reconnectDelay: 200,
    }),
  );
  return path;
}

export function outcome(path: string): Outcome {
  return {
    path,
    faults: 0,
    kills: 0,
    lost: 0,
    duplicated: 0,
    stalled: 0,
    falseSuccess: 0,
    statusLies: 0,
    problems: [],
  };
}

export function count(result: Outcome, ended: Ended, what: string): void {
  if (ended.stalled) {
    result.stalled++;
    result.problems.push(`${what} stalled past its budget`);
  }
  if (ended.stopped) result.kills++;
}

export function check(result: Outcome, expected: Content, got: Content, what: string): void {
  const { lost, duplicated } = compare(expected, got);
  result.lost += lost;
  result.duplicated += duplicated;
  if (lost + duplicated > 0)
    result.problems.push(`${what}: lost ${lost}, duplicated ${duplicated}`);
}

/** read --all --state into a consumer that may stop early, then runs until one ends well. */
export async function readTrial(world: World, random: () => number, dir: string): Promise<Outcome> {
  const result = outcome('read --state | consumer');
  const account = await seededAccount(world, random, 'cr');
  const expected = await mailboxContent(world, account);
  const config = sourceFile(world, dir, account);
  const state = join(dir, 'read.state');
  const args = [
    'read',
    '--config',
    config,
    '--query',
    'ALL',
    '--all',
    '--state',
    state,
    '--page-size',
    String(2 + Math.floor(random() * 8)),
  ];
  const env = { IMAP_PASSWORD: account.password };
  const fault = pick(random, ['none', 'cut', 'silent', 'restart', 'poison'] as const);
  const disarm = arm(world, random, fault);
  // The poison is cut in every run: its row must come all the same, with its error.
  const marker = fault === 'poison' ? await addPoison(world, account) : undefined;
  if (marker) cutOnPoison(world, marker);
  const total = sizeOf(expected) + (marker ? 1 : 0);
  const head = Math.floor(random() * (total + 3));
  const delivered = new Set<string>();
  const failedRows = new Set<string>();
  const take = (stdout: string): void => {
    for (const line of stdout.split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as { id: string; error?: { code: string } };
      delivered.add(row.id);
      if (row.error?.code === 'MESSAGE_UNAVAILABLE') failedRows.add(row.id);
    }
  };
  const first = await runCli(args, { env, budgetMs: BUDGET_MS, pipe: `head -n ${head}` });
  disarm();
  count(result, first, 'read into a pipe');
  take(first.stdout);
  let done = false;
  let lastError = '';
  for (let run = 0; run < MAX_RUNS && !done; run++) {
    const next = await runCli(args, { env, budgetMs: BUDGET_MS });
    count(result, next, 'read');
    take(next.stdout);
    done = next.code === 0;
    lastError = next.stderr;
  }
  // Every message reached some consumer: a row may come twice, never not at all.
  const missing = total - delivered.size;
  if (missing > 0) {
    result.lost += missing;
    result.problems.push(`read: ${missing} of ${total} messages never delivered`);
  }
  if (!done) result.problems.push(`read: no run ended well (${lastError.trim().split('\n')[0]})`);
  // Only the poison may come as a row without its content, and it must while it is cut.
  const failedExpected = marker && done ? 1 : 0;
  if (failedRows.size !== failedExpected && (marker === undefined || done))
    result.problems.push(
      `read: ${failedRows.size} rows with MESSAGE_UNAVAILABLE, ${failedExpected} expected`,
    );
  if (marker) world.proxy.set({ kind: 'pass' });
  return result;
}

/**
 * A run that half the time is stopped (kill -9, else Ctrl-C) `from` to `from + span` ms after
 * it started. The draws come in the order the trials always made them, so each seed's trial
 * stays as it was.
 */
export function runMaybeStopped(
  args: string[],
  env: Record<string, string>,
  random: () => number,
  { from = 100, span = 1500 } = {},
): Promise<Ended> {
  const stop = random() < 0.5;
  return runCli(args, {
    env,
    budgetMs: BUDGET_MS,
    ...(stop
      ? {
          stopAfterMs: from + random() * span,
          signal: random() < 0.7 ? ('SIGKILL' as const) : ('SIGINT' as const),
        }
      : {}),
  });
}

/** Runs `args` again after `ended` until one exits 0 (at most MAX_RUNS more); the last one. */
export async function untilEndsWell(
  result: Outcome,
  what: string,
  args: string[],
  env: Record<string, string>,
  ended: Ended,
): Promise<Ended> {
  for (let run = 0; run < MAX_RUNS && ended.code !== 0; run++) {
    ended = await runCli(args, { env, budgetMs: BUDGET_MS });
    count(result, ended, what);
  }
  return ended;
}

/** A connection file for an import's destination account, straight to Dovecot (no faults). */
export function targetConnection(world: World, dir: string, target: Account): string {
  const path = join(dir, 'target.json');
  writeFileSync(
    path,
    JSON.stringify({
      server: world.dovecot.host,
      port: world.dovecot.imapPort,
      security: 'none',
      username: target.name,
      isTarget: true,
      isSource: false,
    }),
  );
  return path;
}

/** An import (archive or another account), maybe killed mid-run, then run until it ends well. */
export async function importTrial(
  world: World,
  random: () => number,
  dir: string,
): Promise<Outcome> {
  const archive = random() < 0.5;
  const result = outcome(`import into ${archive ? 'the archive' : 'another account'}`);
  const account = await seededAccount(world, random, 'ci');
  const expected = await mailboxContent(world, account);
  const config = sourceFile(world, dir, account);
  const target = newAccount(world, 'ct');
  const targetFile = targetConnection(world, dir, target);
  const archivePath = join(dir, 'chaos.archive');
  const args = archive
    ? ['import', '--config', config, '--archive', archivePath]
    : ['import', '--config', config, '--target', targetFile, '--state', join(dir, 'import.state')];
  const env = { IMAP_PASSWORD: account.password, IMAP_TARGET_PASSWORD: target.password };
  const fault = pick(random, ['none', 'cut', 'silent', 'restart', 'limit', 'poison'] as const);
  const disarm = arm(world, random, fault);
  const marker = fault === 'poison' ? await addPoison(world, account) : undefined;
  if (marker) cutOnPoison(world, marker);
  const first = await runMaybeStopped(args, env, random);
  disarm();
  count(result, first, 'import');
  const content = (): Promise<Content> | Content =>
    archive
      ? archiveContent(archivePath, `${account.name}@${world.dovecot.host}`)
      : mailboxContent(world, target);
  let ended = first;
  if (marker) {
    // While the proxy cuts: runs until one ends by itself; everything but the poison is there.
    for (let run = 0; run < MAX_RUNS && ended.stopped; run++) {
      ended = await runCli(args, { env, budgetMs: BUDGET_MS });
      count(result, ended, 'import (poisoned)');
    }
    result.problems.push(...poisonedRunProblems(ended));
    check(result, expected, await content(), `${result.path}, the poison still cut`);
    world.proxy.set({ kind: 'pass' });
    ended = { ...ended, code: -1 };
  }
  ended = await untilEndsWell(result, 'import', args, env, ended);
  const got = await content();
  const all = marker ? await mailboxContent(world, account) : expected;
  check(result, all, got, result.path);
  if (ended.code === 0 && compare(all, got).lost > 0) result.falseSuccess++;
  if (!marker && ended.code === 0 && random() < 0.5)
    await mirrorPhase(world, random, result, { account, args, env, content });
  return result;
}

/**
 * After a finished import: messages expunged at the source at random (one of a pair the source
 * holds twice among them, at times), then the job again with --mirror-deletions, under a fault
 * and maybe a kill, until a run ends well. Whatever the source still holds must be at the
 * destination: a copy that stood for two source messages goes only with the last of them.
 */
async function mirrorPhase(
  world: World,
  random: () => number,
  result: Outcome,
  job: {
    account: Account;
    args: string[];
    env: Record<string, string>;
    content: () => Promise<Content> | Content;
  },
): Promise<void> {
  result.path += ', then --mirror-deletions';
  // Half the time the source gets a second copy of a message, copied as a duplicate by a run,
  // and then loses the first: the destination's one copy still stands for the second.
  const twin = random() < 0.5 ? await twinOne(world, job.account, random) : undefined;
  for (let run = 0; twin && run < MAX_RUNS; run++)
    if ((await runCli(job.args, { env: job.env, budgetMs: BUDGET_MS })).code === 0) break;
  const expunged = await expungeAtRandom(world, job.account, random, 0.35, twin);
  const args = [...job.args, '--mirror-deletions'];
  const what = `${result.path}, ${expunged} expunged at the source${twin ? ' (one of a pair)' : ''}`;
  const disarm = arm(world, random, pick(random, ['none', 'cut', 'silent', 'restart'] as const));
  const kill = random() < 0.3;
  let ended = await runCli(args, {
    env: job.env,
    budgetMs: BUDGET_MS,
    ...(kill ? { stopAfterMs: 100 + random() * 1000, signal: 'SIGKILL' as const } : {}),
  });
  disarm();
  count(result, ended, 'import --mirror-deletions');
  ended = await untilEndsWell(result, 'import --mirror-deletions', args, job.env, ended);
  const held = await mailboxContent(world, job.account);
  const got = await job.content();
  check(result, held, got, what);
  if (ended.code === 0 && compare(held, got).lost > 0) result.falseSuccess++;
}

/** A batch of mailboxes, local or queued, in a random topology, maybe killed, then continued. */
export async function batchTrial(
  world: World,
  random: () => number,
  dir: string,
): Promise<Outcome> {
  const queued = random() < 0.4;
  const toImap = queued || random() < 0.6;
  const result = outcome(
    `${queued ? 'queued' : 'local'} batch into ${toImap ? 'accounts' : 'the archive'}`,
  );
  const mailboxes = 2 + Math.floor(random() * 4);
  const sources = await Promise.all(
    Array.from({ length: mailboxes }, () => seededAccount(world, random, 'cb')),
  );
  const targets = sources.map(() => newAccount(world, 'cd'));
  const expected = await Promise.all(sources.map((account) => mailboxContent(world, account)));
  // The destination behind the proxy too (then source and destination are one server), or not.
  const sameServer = random() < 0.5;
  const server = (port: number) => ({
    server: world.dovecot.host,
    port,
    security: 'none',
    timeout: 3000,
    reconnectAttempts: 6,
    reconnectDelay: 200,
  });
  writeFileSync(
    join(dir, 'panel.csv'),
    sources
      .map(
        (s, i) =>
          `${world.dovecot.host}:${world.proxy.port};${s.name};${s.password};${targets[i]!.name};${targets[i]!.password}`,
      )
      .join('\n'),
  );
  const profile = join(dir, 'batch.json');
  writeFileSync(
    profile,
    JSON.stringify({
      name: `chaos-${Math.floor(random() * 1e9)}`,
      source: server(world.proxy.port),
      destination: toImap
        ? { imap: server(sameServer ? world.proxy.port : world.dovecot.imapPort) }
        : { archive: 'mail.archive' },
      mailboxes: { csv: 'panel.csv' },
      throttle: {
        parallelMailboxes: 1 + Math.floor(random() * 4),
        maxConnectionsPerServer: 1 + Math.floor(random() * 3),
        retryDelaySeconds: 1,
        attempts: 4,
      },
    }),
  );
  const queue = queued ? ['--queue', world.redis.bareUrl] : [];
  const env = {
    IMAP_CONNECTOR_QUEUE_PASSWORD: world.redis.password,
    IMAP_CONNECTOR_QUEUE_KEY: world.queueKey,
  };
  const workers: ChildProcess[] = queued
    ? [startWorker(world), ...(random() < 0.5 ? [startWorker(world)] : [])]
    : [];
  const fault = pick(random, ['none', 'cut', 'silent', 'restart', 'limit'] as const);
  const disarm = arm(world, random, fault, { minSessions: toImap && sameServer ? 2 : 1 });
  try {
    const stop = random() < 0.5;
    // Queued: kill a worker mid-run (another takes the mailbox over); local: the run itself.
    if (queued && stop)
      setTimeout(
        () => {
          workers[0]!.kill('SIGKILL');
          result.kills++;
          workers.push(startWorker(world));
        },
        300 + random() * 1500,
      );
    let ended = await runCli(['batch', 'run', profile, ...queue], {
      env,
      budgetMs: BUDGET_MS,
      ...(!queued && stop
        ? {
            stopAfterMs: 200 + random() * 1500,
            signal: random() < 0.7 ? ('SIGKILL' as const) : ('SIGINT' as const),
          }
        : {}),
    });
    disarm();
    count(result, ended, 'batch run');
    if (ended.stopped && !queued) {
      const status = await runCli(['batch', 'status', profile], { env, budgetMs: BUDGET_MS });
      if (/: RUNNING /.test(status.stdout)) {
        result.statusLies++;
        result.problems.push('batch status says RUNNING for a stopped run');
      }
    }
    for (let run = 0; run < MAX_RUNS && ended.code !== 0; run++) {
      ended = await runCli(['batch', 'run', profile, ...queue], { env, budgetMs: BUDGET_MS });
      count(result, ended, 'batch run');
    }
    let missing = 0;
    for (const [i, source] of sources.entries()) {
      const got = toImap
        ? await mailboxContent(world, targets[i]!)
        : archiveContent(join(dir, 'mail.archive'), `${source.name}@${world.dovecot.host}`);
      check(result, expected[i]!, got, `${result.path}, mailbox ${i + 1}`);
      missing += compare(expected[i]!, got).lost;
    }
    if (ended.code === 0 && missing > 0) result.falseSuccess++;
    if (ended.code === 0 && !/: DONE/.test(ended.stdout))
      result.problems.push('batch run exited 0 without a DONE report');
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
  }
  return result;
}

function startWorker(world: World): ChildProcess {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--queue', world.redis.bareUrl, '--concurrency', '2', '--lock-seconds', '3'],
    {
      env: {
        ...process.env,
        IMAP_CONNECTOR_QUEUE_PASSWORD: world.redis.password,
        IMAP_CONNECTOR_QUEUE_KEY: world.queueKey,
      },
      stdio: 'ignore',
    },
  );
  return child;
}

/**
 * npm run chaos [-- --trials 24 --seed 20261203 --only read,import,batch,pop3]
 *
 * The seeded chaos run of issue 24: trials that combine at random hostile messages among good
 * ones, batch topologies, local and queued batches, consumers that stop early, POP3 downloads
 * that delete, kill -9 of a run or a worker, Ctrl-C, and server faults (cuts, silence, a session
 * limit, a restart), against a private Dovecot and Redis. After each trial: every process ended
 * within its budget; exit 0 only when everything was done; nothing lost or duplicated (SHA-256
 * multisets per folder, a source's own duplicate allowed once); every consumer got every
 * message (a state is never ahead of what was delivered); `batch status` never says RUNNING for
 * a dead run. Prints the totals and exits 1 when any check failed; a failing trial prints its
 * seed to replay (`--seed S --trials 1`). CI runs a few dozen trials; `--trials 500` is the
 * longer mode.
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../test/helpers/seeded-random.js';
import { pop3Trial } from './chaos/pop3-trial.js';
import { batchTrial, importTrial, readTrial, type Outcome } from './chaos/trials.js';
import { startWorld } from './chaos/world.js';
import { scriptArgs } from './script-args.js';

const USAGE = 'npm run chaos [-- --trials 24 --seed 20261203 --only read,import,batch,pop3]';
const args = scriptArgs(USAGE, {
  trials: { type: 'string' },
  seed: { type: 'string' },
  only: { type: 'string' },
});
const TRIALS = args.count('trials', 24);
const FIRST_SEED = args.count('seed', 20261203);
const ALL_PATHS = { read: readTrial, import: importTrial, batch: batchTrial, pop3: pop3Trial };
// --only keeps some paths: a seed then draws among them, so it replays only with the same --only.
const PATHS = (args.values.only?.split(',') ?? Object.keys(ALL_PATHS)).map((name) => {
  const trial = ALL_PATHS[name as keyof typeof ALL_PATHS];
  if (!trial) {
    process.stderr.write(
      `--only takes ${Object.keys(ALL_PATHS).join(', ')}, not "${name}"\nusage: ${USAGE}\n`,
    );
    process.exit(2);
  }
  return trial;
});

// A source read after its batch's memory was reused would be another message's bytes: poisoned
// at release, it shows as lost or changed mail here (imap/literal-arena.ts).
process.env.IMAP_CONNECTOR_ARENA_POISON ??= '1';
const world = await startWorld();
const totals = {
  trials: 0,
  faults: 0,
  kills: 0,
  lost: 0,
  duplicated: 0,
  stalled: 0,
  falseSuccess: 0,
  statusLies: 0,
};
const failed: { seed: number; outcome: Outcome }[] = [];
const byPath = new Map<string, number>();
const started = Date.now();
try {
  for (let i = 0; i < TRIALS; i++) {
    const seed = FIRST_SEED + i;
    const random = seededRandom(seed);
    const trial = PATHS[Math.floor(random() * PATHS.length)]!;
    const dir = mkdtempSync(join(world.dir, `trial-${seed}-`));
    const faultsBefore = world.faults();
    const trialStarted = Date.now();
    const outcome = await trial(world, random, dir);
    const seconds = ((Date.now() - trialStarted) / 1000).toFixed(1);
    outcome.faults += world.faults() - faultsBefore;
    totals.trials++;
    for (const key of [
      'faults',
      'kills',
      'lost',
      'duplicated',
      'stalled',
      'falseSuccess',
      'statusLies',
    ] as const)
      totals[key] += outcome[key];
    byPath.set(outcome.path, (byPath.get(outcome.path) ?? 0) + 1);
    if (outcome.problems.length > 0) failed.push({ seed, outcome });
    console.log(
      `trial ${i + 1}/${TRIALS} seed ${seed} (${seconds} s): ${outcome.path}, ${outcome.faults} faults, ${outcome.kills} kills${outcome.problems.length > 0 ? `: ${outcome.problems.join('; ')}` : ': ok'}`,
    );
  }
} finally {
  await world.close();
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `\nchaos: ${totals.trials} trials in ${minutes} min (${[...byPath].map(([path, n]) => `${n} ${path}`).join(', ')})`,
);
console.log(
  `chaos totals: faults ${totals.faults}, kills ${totals.kills}, lost ${totals.lost}, duplicated ${totals.duplicated}, stalled ${totals.stalled}, false success ${totals.falseSuccess}, status lies ${totals.statusLies}`,
);
for (const { seed, outcome } of failed)
  console.log(
    `FAILED seed ${seed} (${outcome.path}): ${outcome.problems.join('; ')}; replay: npm run chaos -- --seed ${seed} --trials 1${args.values.only ? ` --only ${args.values.only}` : ''}`,
  );
process.exitCode = failed.length > 0 ? 1 : 0;

/**
 * V8's young generation for a process that copies mail between accounts. The pipe moves an
 * import's bytes in Buffers outside V8's heap and allocates little on it, yet V8 grows the young
 * generation to its maximum (32 MB on Node 20, 64 on Node 24) as a long run's survivors add up,
 * and a written socket chunk's memory comes back only when a scavenge finds it dead. Held from
 * the process's start (2 MB), an import's peak RSS was 9-37 MB lower on the bench's 10,000
 * messages, its time within the runs' noise; at 100,000 it saved nothing and took 5% longer
 * (docs/performance.md, 2026-12-06, late).
 */
import { setFlagsFromString } from 'node:v8';
import { usageError } from './usage-error.js';

export const YOUNG_GENERATION_ENV = 'IMAP_CONNECTOR_YOUNG_GENERATION';

/**
 * Stops V8 growing the young generation from now on, unless the environment says `grow`.
 * V8 reads this factor each time it would grow it, so it takes effect at run time; the size
 * flags are fixed at start-up and NODE_OPTIONS refuses this one. Starting a worker thread
 * resets it (the archive's packer does), so only commands that start none call this, and only
 * from the process's own entry point: a host that loads the connector keeps its heap as it is.
 */
export function holdYoungGeneration(env: Record<string, string | undefined>): void {
  const wanted = env[YOUNG_GENERATION_ENV];
  if (wanted !== undefined && wanted !== 'hold' && wanted !== 'grow')
    throw usageError(
      `/env/${YOUNG_GENERATION_ENV}`,
      `${YOUNG_GENERATION_ENV} must be hold (the default for imports into an account) or grow, got ${JSON.stringify(wanted)}`,
    );
  if (wanted !== 'grow') setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * The same hold, at the process's start, for a command line that imports into an account:
 * loading the import's modules alone grows the young generation to 8 MB. A value it does not
 * know is left for the command to report.
 */
export function holdForImportIntoAccount(
  argv: string[],
  env: Record<string, string | undefined>,
): void {
  if (
    argv[0] !== 'import' ||
    !argv.some((arg) => arg === '--target' || arg.startsWith('--target='))
  )
    return;
  try {
    holdYoungGeneration(env);
  } catch {
    // The import command validates the variable again and says what is wrong.
  }
}

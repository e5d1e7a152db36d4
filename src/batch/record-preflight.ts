/**
 * The preflight's verdicts in a run's rows, the same for a local and a queued batch (issue 25):
 * a failed check fails its mailbox, a skipped one (existing: skip) is skipped, a good one is
 * queued. A check the caller stopped (Ctrl-C during the preflight) is no verdict: its mailbox
 * stays queued and the next run checks it (issue 24: it was marked failed and never imported).
 */
import type { BatchProfile } from './batch-profile.js';
import type { PreflightResult } from './preflight.js';
import type { RunRecords } from './run-records.js';

/** What the preflight decided for the run. */
export interface PreflightVerdict {
  /** A check failed and the profile says preflight.onFailure: stop. */
  stop: boolean;
  /** Keys of the mailboxes to import. */
  ready: Set<string>;
}

export async function recordPreflight(
  records: RunRecords,
  runId: number,
  checks: readonly PreflightResult[],
  profile: BatchProfile,
): Promise<PreflightVerdict> {
  const now = (): string => new Date().toISOString();
  const unchecked = checks.filter((check) => check.error?.code === 'ABORTED');
  const failed = checks.filter((check) => !check.ok && check.error?.code !== 'ABORTED');
  for (const check of unchecked) await records.update(runId, check.key, { status: 'queued' });
  for (const check of failed)
    await records.update(runId, check.key, {
      status: 'failed',
      error: check.error ?? null,
      endedAt: now(),
    });
  const good = checks.filter((check) => check.ok);
  if (failed.length > 0 && profile.preflight.onFailure === 'stop') {
    for (const check of good) await records.update(runId, check.key, { status: 'queued' });
    return { stop: true, ready: new Set() };
  }
  for (const check of good.filter((c) => c.skip))
    await records.update(runId, check.key, {
      status: 'skipped',
      error: { code: 'SKIPPED', message: `Skipped: ${check.skip}.` },
      endedAt: now(),
    });
  const ready = good.filter((check) => !check.skip);
  for (const check of ready) await records.update(runId, check.key, { status: 'queued' });
  return { stop: false, ready: new Set(ready.map((check) => check.key)) };
}

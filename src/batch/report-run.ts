/**
 * The report of an ended run, local or queued: the replay CSV of its failed mailboxes, the run
 * ended in its records with the report, the notification (sent once: of two coordinators
 * following one queued run only the one that ended it sends), and the report beside the state
 * as JSON and text.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatReportText, totalsOf, type BatchReport } from './batch-report.js';
import type { MailboxState, RunStatus } from './mailbox-state.js';
import { notify } from './notify.js';
import type { PreparedBatch } from './prepare-batch.js';
import type { RunRecords } from './run-records.js';
import { writeMailboxCsv } from './write-mailbox-csv.js';

/** What an ended run reports, besides what the profile and the mailbox rows say. */
export interface EndedRun {
  runId: number;
  status: RunStatus;
  startedAt: string;
  mailboxes: MailboxState[];
  peakConnections: Record<string, number>;
  loweredConnections?: Record<string, number>;
}

function reportPaths(statePath: string, name: string, runId: number) {
  const base = join(dirname(statePath), `${name.replace(/[^A-Za-z0-9._-]/g, '_')}-run${runId}`);
  return { json: `${base}.report.json`, text: `${base}.report.txt`, replay: `${base}.replay.csv` };
}

export async function reportRun(
  prepared: PreparedBatch,
  records: RunRecords,
  ended: EndedRun,
): Promise<BatchReport> {
  const { profile, jobs, statePath, secrets } = prepared;
  const { runId, status, startedAt, mailboxes, ...connections } = ended;
  const paths = reportPaths(statePath, profile.name, runId);
  const failedKeys = new Set(mailboxes.filter((m) => m.status === 'failed').map((m) => m.key));
  const failedJobs = jobs.filter((job) => failedKeys.has(job.entry.key));
  const replay = failedJobs.length > 0 && profile.mailboxes.csv !== undefined;
  if (replay)
    writeMailboxCsv(
      paths.replay,
      failedJobs.map((job) => job.entry),
    );
  const endedAt = new Date().toISOString();
  const report: BatchReport = {
    name: profile.name,
    runId,
    status,
    startedAt,
    endedAt,
    durationMs: Date.parse(endedAt) - Date.parse(startedAt),
    totals: totalsOf(mailboxes),
    mailboxes: mailboxes.map(({ key: _key, ...rest }) => rest),
    ...(replay ? { replayCsv: paths.replay } : {}),
    ...connections,
    notifications: [],
  };
  if (await records.endRun(runId, status, report)) {
    await notify(profile, report, secrets.smtp);
    await records.saveReport(runId, report);
  }
  writeFileSync(paths.json, JSON.stringify(report, null, 2) + '\n', { mode: 0o600 });
  writeFileSync(paths.text, formatReportText(report), { mode: 0o600 });
  return report;
}

import type { OperationOptions } from '../operation-options.js';
import type { BatchProfile } from './batch-profile.js';
import { checkLogin } from './check-login.js';
import { destinationLogin, policyFailure } from './destination-login.js';
import { destinationMessageCount } from './destination-messages.js';
import type { MailboxJob } from './mailbox-jobs.js';
import type { ReportedError } from './mailbox-state.js';
import { runPool } from './run-pool.js';
import { throttledBy, type ServerSlots } from './server-slots.js';
import { checkPop3 } from '../pop3/check-pop3.js';
import { foldersToEmpty } from './replace-plan.js';
import { foldersToImport, type FolderToImport } from './source-folders.js';

export interface PreflightResult {
  key: string;
  label: string;
  ok: boolean;
  /** Why the mailbox is left alone though it is fine (existing: skip and the destination holds mail). */
  skip?: string;
  /** Which login failed, or the new password's policy. */
  side?: 'source' | 'destination' | 'password';
  error?: ReportedError;
  /** `batch check`: the source folders the import reads, with their message counts now. */
  folders?: FolderToImport[];
  /** `batch check`: what the run will do with the destination mailbox. */
  plan?: string;
  /** `batch check`, replace mode: the destination folders emptied first, with their counts now. */
  removes?: FolderToImport[];
}

function failure(
  job: MailboxJob,
  side: PreflightResult['side'],
  error: ReportedError,
): PreflightResult {
  return { key: job.entry.key, label: job.label, ok: false, ...(side ? { side } : {}), error };
}

/** One mailbox: the new password against the policy (no I/O), then source and destination logins. */
export interface PreflightOptions extends OperationOptions {
  /** List each source mailbox's folders with their counts, and the plan (batch check). */
  listFolders?: boolean;
  /** Keys of mailboxes an earlier run imported (existing: skip leaves those to go on). */
  importedBefore?: Set<string>;
  onChecked?: (result: PreflightResult) => void;
}

/** A new mailbox password matters where mailboxes are (an IMAP destination), not in an archive. */
function newPasswordFailure(job: MailboxJob, profile: BatchProfile): ReportedError | undefined {
  const password = job.entry.destinationPassword;
  if (password === undefined || !profile.destination.imap) return undefined;
  return policyFailure(password, profile, `The new mailbox password (line ${job.entry.line})`);
}

async function checkOne(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<PreflightResult> {
  const weak = newPasswordFailure(job, profile);
  if (weak) return failure(job, 'password', weak);
  const source = await sourceLogin(job, slots, options);
  if (source) return failure(job, 'source', source);
  const listed = options.listFolders
    ? await listedFolders(job, profile, slots, options)
    : undefined;
  if (listed && 'error' in listed) return failure(job, 'source', listed.error);
  const withList = (result: PreflightResult): PreflightResult =>
    listed ? { ...result, folders: listed.folders } : result;
  if (job.destination) {
    const destination = await destinationLogin(job, profile, slots, options);
    if (destination) return failure(job, 'destination', destination);
    const skip = await skipReason(job, profile, slots, options);
    if (skip) return withList({ key: job.entry.key, label: job.label, ok: true, skip });
  }
  const removes = listed ? await replaced(job, profile, slots, options) : undefined;
  if (removes && 'error' in removes) return failure(job, 'destination', removes.error);
  return withList({
    key: job.entry.key,
    label: job.label,
    ok: true,
    ...(listed ? { plan: planOf(job, profile, listed.folders, removes?.folders) } : {}),
    ...(removes ? { removes: removes.folders } : {}),
  });
}

/** The source login; a POP3 source's with a POP3 login (and STAT), not Test Connection's. */
function sourceLogin(
  job: MailboxJob,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<ReportedError | undefined> {
  const server = job.servers[0]!;
  return slots.with([server], () =>
    checkLogin(
      job.source,
      options,
      () => throttledBy(slots, server, options.logger),
      job.spec.pop3 ? checkPop3 : undefined,
    ),
  );
}

/** Replace mode at `batch check`: the destination folders the run empties first. */
async function replaced(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<{ folders: FolderToImport[] } | { error: ReportedError } | undefined> {
  if (profile.destination.existing !== 'replace' || !job.destination) return undefined;
  try {
    return {
      folders: await slots.with(job.servers, () =>
        foldersToEmpty(job, profile.copy.query, options),
      ),
    };
  } catch (error) {
    return { error: asReported(error) };
  }
}

function asReported(error: unknown): ReportedError {
  const e = error as ReportedError;
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
}

/** Why `existing: skip` leaves the mailbox alone: it holds mail no run of this batch put there. */
async function skipReason(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<string | undefined> {
  if (profile.destination.existing !== 'skip' || options.importedBefore?.has(job.entry.key))
    return undefined;
  const held = await slots.with([job.servers[1]!], () =>
    destinationMessageCount(job.destination!, options),
  );
  return held > 0
    ? `the destination mailbox already holds ${held} messages (existing: skip)`
    : undefined;
}

/** The source folders the import reads, with counts; a failure as the source's. */
async function listedFolders(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: OperationOptions,
): Promise<{ folders: FolderToImport[] } | { error: ReportedError }> {
  try {
    const pop3 = job.spec.pop3;
    const folders = await slots.with([job.servers[0]!], async () =>
      pop3
        ? [{ path: pop3.folder ?? 'INBOX', messages: await checkPop3(job.source, options) }]
        : foldersToImport(job.source, profile.copy.query, options),
    );
    return { folders };
  } catch (error) {
    return { error: asReported(error) };
  }
}

/** One sentence on what a run does with this mailbox. */
function planOf(
  job: MailboxJob,
  profile: BatchProfile,
  folders: FolderToImport[],
  removes: FolderToImport[] | undefined,
): string {
  const count = (list: FolderToImport[]): number =>
    list.reduce((sum, folder) => sum + folder.messages, 0);
  const what = `${count(folders)} messages in ${folders.length} folders`;
  const mirror = profile.copy.mirrorDeletions
    ? '; removes there what the source deleted since it was copied (mirrorDeletions)'
    : '';
  if (!job.destination) return `${what} into the archive (deduplicated)${mirror}`;
  if (removes)
    return removes.length > 0
      ? `replace: first removes ${count(removes)} messages from ${removes.length} folders of ${String(job.destination.username)}, then copies ${what}${mirror}`
      : `replace: nothing to remove from ${String(job.destination.username)} (replaced already, the job ran before, or its folders are empty); copies ${what}${mirror}`;
  return `${what} into ${String(job.destination.username)}, deduplicated against what it holds (existing: ${profile.destination.existing})${mirror}`;
}

/**
 * Logs in to every source and destination mailbox, a few at a time (parallelMailboxes, and
 * the per-server cap), and checks new mailbox passwords: per mailbox OK, or what failed with
 * its code and hint.
 */
export async function preflight(
  jobs: MailboxJob[],
  profile: BatchProfile,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<PreflightResult[]> {
  return runPool(jobs, profile.throttle.parallelMailboxes, async (job) => {
    const result = await checkOne(job, profile, slots, options);
    options.onChecked?.(result);
    return result;
  });
}

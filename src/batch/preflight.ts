import { validateConfig, type Config } from '../config/validate-config.js';
import { makeError, type ErrorCode } from '../errors.js';
import { reconnectPolicy } from '../imap/reconnect.js';
import { testConnection } from '../imap/test-connection.js';
import type { OperationOptions } from '../operation-options.js';
import { sleep } from '../sleep.js';
import type { BatchProfile } from './batch-profile.js';
import type { ReportedError } from './mailbox-state.js';
import type { MailboxJob } from './mailbox-jobs.js';
import { destinationMessageCount } from './destination-messages.js';
import { foldersToImport, type FolderToImport } from './source-folders.js';
import { passwordProblems } from './password-policy.js';
import { provisionMailbox } from './provision.js';
import { runPool } from './run-pool.js';
import { throttledBy, type ServerSlots } from './server-slots.js';

/** The hosting panel's default for new mailbox passwords. */
export const DEFAULT_PASSWORD_POLICY = {
  minLength: 12,
  lowerCase: true,
  upperCase: true,
  digitOrSpecial: true,
};

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
}

function failure(
  job: MailboxJob,
  side: PreflightResult['side'],
  error: ReportedError,
): PreflightResult {
  return { key: job.entry.key, label: job.label, ok: false, ...(side ? { side } : {}), error };
}

/** A login as Test Connection does it, reduced to what a report shows (no secret in any field). */
/**
 * The connection's reconnect settings with the schema's defaults filled in. A config that does
 * not validate fails its check with CONFIG_INVALID, which no retry changes: none then.
 */
function retrySettingsOf(
  config: Record<string, unknown>,
): Pick<Config, 'reconnectAttempts' | 'reconnectDelay'> {
  try {
    return validateConfig(config);
  } catch {
    return { reconnectAttempts: 0, reconnectDelay: 0 };
  }
}

async function login(
  config: Record<string, unknown>,
  options: OperationOptions,
  throttled: () => void,
): Promise<ReportedError | undefined> {
  // A check that a cut or a throttle answer fails would stop an unattended batch for nothing:
  // it is tried again as a read or import would be (the connection's reconnect settings).
  const policy = reconnectPolicy(retrySettingsOf(config), {
    ...options,
    onReconnect: (error) => {
      if (error.code === 'SERVER_THROTTLED') throttled();
    },
  });
  for (let attempt = 1; ; attempt++) {
    const result = await testConnection(config, options);
    if (result.ok) return undefined;
    const error = makeError(result.code as ErrorCode, result.message, {
      ...(result.error?.details ? { details: result.error.details } : {}),
    });
    if (!(await policy.again(error, attempt))) {
      const given = policy.givenUp(error) as typeof error;
      return {
        code: result.code,
        message: given.message,
        ...(result.hint ? { hint: result.hint } : {}),
      };
    }
  }
}

// After the hook created a mailbox, a server may need a moment before it logs in (a panel
// writes its user database, a directory replicates): the login is tried again after these waits.
const PROVISIONED_LOGIN_WAITS_MS = [250, 500, 1000, 2000];

/** What a new mailbox's password lacks under the profile's policy, as the failure to report. */
function policyFailure(
  password: string,
  profile: BatchProfile,
  what: string,
): ReportedError | undefined {
  const problems = passwordProblems(
    password,
    profile.preflight.passwordPolicy ?? DEFAULT_PASSWORD_POLICY,
  );
  if (problems.length === 0) return undefined;
  return {
    code: 'CONFIG_INVALID',
    message: `${what} does not meet the password policy: ${problems.join(', ')}.`,
    hint: 'Choose a longer password with lower- and upper-case letters and a digit or special character, or relax preflight.passwordPolicy.',
  };
}

/**
 * The destination login; when it fails as a login does for a mailbox that does not exist
 * (AUTH_FAILED) and the profile has a provisioning hook, the hook creates it (with a password
 * the policy allows: also the source's, for email,password rows) and the login is tried again,
 * a few times with a short backoff.
 */
async function destinationLogin(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: OperationOptions,
): Promise<ReportedError | undefined> {
  const attempt = (): Promise<ReportedError | undefined> =>
    slots.with([job.servers[1]!], () =>
      login(job.destination!, options, () => throttledBy(slots, job.servers[1]!, options.logger)),
    );
  const first = await attempt();
  const hook = profile.destination.provision;
  const password = job.destination!.password;
  // Only a mailbox's own login can be provisioned: a master login does not know its password.
  const own = profile.destination.login !== 'master';
  if (!first || first.code !== 'AUTH_FAILED' || !hook || !own || typeof password !== 'string')
    return first;
  const weak = policyFailure(
    password,
    profile,
    `The mailbox ${JSON.stringify(String(job.destination!.username))} would be created with a password (line ${job.entry.line}) that`,
  );
  if (weak) return weak;
  try {
    await provisionMailbox(hook, {
      mailbox: String(job.destination!.username),
      password,
      ...(job.entry.owner ? { owner: job.entry.owner } : {}),
    });
  } catch (error) {
    const e = error as ReportedError;
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
  for (const wait of PROVISIONED_LOGIN_WAITS_MS) {
    const result = await attempt();
    if (!result || result.code !== 'AUTH_FAILED') return result;
    await sleep(wait, options.signal);
  }
  return attempt();
}

/** One mailbox: the new password against the policy (no I/O), then source and destination logins. */
export interface PreflightOptions extends OperationOptions {
  /** List each source mailbox's folders with their counts, and the plan (batch check). */
  listFolders?: boolean;
  /** Keys of mailboxes an earlier run imported (existing: skip leaves those to go on). */
  importedBefore?: Set<string>;
  onChecked?: (result: PreflightResult) => void;
}

async function checkOne(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: PreflightOptions,
): Promise<PreflightResult> {
  // A new mailbox password matters where mailboxes are (an IMAP destination), not in an archive.
  const password = job.entry.destinationPassword;
  if (password !== undefined && profile.destination.imap) {
    const weak = policyFailure(
      password,
      profile,
      `The new mailbox password (line ${job.entry.line})`,
    );
    if (weak) return failure(job, 'password', weak);
  }
  const source = await slots.with([job.servers[0]!], () =>
    login(job.source, options, () => throttledBy(slots, job.servers[0]!, options.logger)),
  );
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
    // Mail a previous run of this batch put there is no reason to skip: only foreign mail is.
    if (profile.destination.existing === 'skip' && !options.importedBefore?.has(job.entry.key)) {
      const held = await slots.with([job.servers[1]!], () =>
        destinationMessageCount(job.destination!, options),
      );
      if (held > 0)
        return withList({
          key: job.entry.key,
          label: job.label,
          ok: true,
          skip: `the destination mailbox already holds ${held} messages (existing: skip)`,
        });
    }
  }
  return withList({
    key: job.entry.key,
    label: job.label,
    ok: true,
    ...(listed ? { plan: planOf(job, profile, listed.folders) } : {}),
  });
}

/** The source folders the import reads, with counts; a failure as the source's. */
async function listedFolders(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: OperationOptions,
): Promise<{ folders: FolderToImport[] } | { error: ReportedError }> {
  try {
    const folders = await slots.with([job.servers[0]!], () =>
      foldersToImport(job.source, profile.copy.query, options),
    );
    return { folders };
  } catch (error) {
    const e = error as ReportedError;
    return { error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } };
  }
}

/** One sentence on what a run does with this mailbox. */
function planOf(job: MailboxJob, profile: BatchProfile, folders: FolderToImport[]): string {
  const total = folders.reduce((sum, folder) => sum + folder.messages, 0);
  const what = `${total} messages in ${folders.length} folders`;
  if (!job.destination) return `${what} into the archive (deduplicated)`;
  return `${what} into ${String(job.destination.username)}, deduplicated against what it holds (existing: ${profile.destination.existing})`;
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

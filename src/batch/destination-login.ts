import type { OperationOptions } from '../operation-options.js';
import { sleep } from '../sleep.js';
import type { BatchProfile } from './batch-profile.js';
import { checkLogin } from './check-login.js';
import type { MailboxJob } from './mailbox-jobs.js';
import type { ReportedError } from './mailbox-state.js';
import { DEFAULT_PASSWORD_POLICY, passwordProblems } from './password-policy.js';
import { provisionMailbox } from './provision.js';
import { throttledBy, type ServerSlots } from './server-slots.js';

// After the hook created a mailbox, a server may need a moment before it logs in (a panel
// writes its user database, a directory replicates): the login is tried again after these waits.
const PROVISIONED_LOGIN_WAITS_MS = [250, 500, 1000, 2000];

/** What a new mailbox's password lacks under the profile's policy, as the failure to report. */
export function policyFailure(
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
export async function destinationLogin(
  job: MailboxJob,
  profile: BatchProfile,
  slots: ServerSlots,
  options: OperationOptions,
): Promise<ReportedError | undefined> {
  const attempt = (): Promise<ReportedError | undefined> =>
    slots.with([job.servers[1]!], () =>
      checkLogin(job.destination!, options, () =>
        throttledBy(slots, job.servers[1]!, options.logger),
      ),
    );
  const first = await attempt();
  const hook = profile.destination.provision;
  const password = job.destination!.password;
  // Only a mailbox's own login can be provisioned: a master login does not know its password.
  const own = profile.destination.login !== 'master';
  if (!first || first.code !== 'AUTH_FAILED' || !hook || !own || typeof password !== 'string')
    return first;
  const exists = await existsDespiteRefusal(job, slots, options);
  // Replace mode takes over an existing mailbox: the hook sets the list's password on it.
  const replacing = exists !== undefined && profile.destination.existing === 'replace';
  if (exists && !replacing) return exists;
  const refused = await callHook(job, profile, password, replacing ? 'setPassword' : 'create');
  return refused ?? loginOnceCreated(attempt, options.signal);
}

/** The hook for one mailbox, with a password the policy allows; what failed, if anything. */
async function callHook(
  job: MailboxJob,
  profile: BatchProfile,
  password: string,
  action: 'create' | 'setPassword',
): Promise<ReportedError | undefined> {
  const mailbox = String(job.destination!.username);
  const weak = policyFailure(
    password,
    profile,
    `The mailbox ${JSON.stringify(mailbox)} would ${action === 'create' ? 'be created with' : 'get'} a password (line ${job.entry.line}) that`,
  );
  if (weak) return weak;
  try {
    await provisionMailbox(profile.destination.provision!, {
      action,
      mailbox,
      password,
      ...(job.entry.owner ? { owner: job.entry.owner } : {}),
    });
    return undefined;
  } catch (error) {
    const e = error as ReportedError;
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
}

/**
 * With the destination master user, a mailbox that refused its own login but lets the master
 * in exists: the list's password is wrong, and a hook must not be asked to create it again.
 */
async function existsDespiteRefusal(
  job: MailboxJob,
  slots: ServerSlots,
  options: OperationOptions,
): Promise<ReportedError | undefined> {
  if (!job.destinationAsMaster) return undefined;
  const asMaster = await slots.with([job.servers[1]!], () =>
    checkLogin(job.destinationAsMaster!, options, () =>
      throttledBy(slots, job.servers[1]!, options.logger),
    ),
  );
  if (asMaster) return undefined;
  return {
    code: 'AUTH_FAILED',
    message: `The mailbox ${JSON.stringify(String(job.destination!.username))} exists but refuses the password in the list (line ${job.entry.line}); the provisioning hook was not called.`,
    hint: 'Correct the mailbox password in the list (or leave it out to use the source password).',
  };
}

/** The login after the hook, tried again while it is refused, with a short backoff. */
async function loginOnceCreated(
  attempt: () => Promise<ReportedError | undefined>,
  signal: AbortSignal | undefined,
): Promise<ReportedError | undefined> {
  for (const wait of PROVISIONED_LOGIN_WAITS_MS) {
    const result = await attempt();
    if (!result || result.code !== 'AUTH_FAILED') return result;
    await sleep(wait, signal);
  }
  return attempt();
}

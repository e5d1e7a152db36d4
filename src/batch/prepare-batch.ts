/**
 * Everything a batch needs before any mail server is asked: the profile, its mailbox list (CSV,
 * master user's users, directory) as import jobs, the secrets, where its state lives, and the
 * servers each mailbox uses as addresses, so that one server under two names is one server
 * for the connection cap and one mailbox listed under two names is refused (issue 24).
 */
import { resolve } from 'node:path';
import { ConfigError, makeError, type Issue } from '../errors.js';
import { serverAddress } from '../imap/server-address.js';
import type { OperationOptions } from '../operation-options.js';
import { loadBatchProfile, validateBatchProfile, type BatchProfile } from './batch-profile.js';
import { batchSecrets, mailboxesOf, type BatchSecrets } from './mailbox-list.js';
import { mailboxJobs, type MailboxJob } from './mailbox-jobs.js';

/** A profile file path, or a profile object with the folder its relative paths start from. */
export type BatchInput = string | { profile: unknown; baseDir: string };

export interface BatchOptions extends OperationOptions {
  /** The batch's state file; default: beside the profile file, `<profile>.state`. */
  statePath?: string;
  /** Where secrets come from (IMAP_MASTER_PASSWORD, SMTP_PASSWORD, ...); default process.env. */
  env?: Record<string, string | undefined>;
  /** Only these mailboxes of the list, by key (a run of the last run's failed ones). */
  only?: ReadonlySet<string>;
}

/** Everything a batch needs that can be known without a mail server: checked before any I/O. */
export interface PreparedBatch {
  profile: BatchProfile;
  jobs: MailboxJob[];
  secrets: BatchSecrets;
  statePath: string;
  /** Every password of the batch, for redacting server answers. */
  passwords: string[];
}

export function profileOf(input: BatchInput): BatchProfile {
  return typeof input === 'string'
    ? loadBatchProfile(input)
    : validateBatchProfile(input.profile, input.baseDir);
}

export function statePathOf(input: BatchInput, options: { statePath?: string }): string {
  const defaultState = typeof input === 'string' ? `${resolve(input)}.state` : undefined;
  const path = options.statePath ?? defaultState;
  if (!path)
    throw makeError('USAGE_INVALID', 'A batch given as an object needs options.statePath.', {
      field: '/statePath',
    });
  return resolve(path);
}

/** Each `host:port` of the jobs as its `address:port` (one lookup per host). */
async function resolveServers(jobs: readonly MailboxJob[]): Promise<void> {
  const names = [...new Set(jobs.flatMap((job) => job.servers))];
  const addresses = new Map<string, string>();
  for (const name of names) {
    const colon = name.lastIndexOf(':');
    addresses.set(name, await serverAddress(name.slice(0, colon), Number(name.slice(colon + 1))));
  }
  for (const job of jobs) job.servers = job.servers.map((name) => addresses.get(name) ?? name);
}

/** One mailbox listed twice under two names of its server: refused, naming both lines. */
function duplicateIssues(jobs: readonly MailboxJob[]): Issue[] {
  const seen = new Map<string, MailboxJob>();
  const issues: Issue[] = [];
  for (const job of jobs) {
    const { sourceUser, destinationMailbox } = job.entry;
    const identity = JSON.stringify([
      job.servers[0],
      sourceUser.toLowerCase(),
      job.servers[1] ?? 'archive',
      (destinationMailbox ?? sourceUser).toLowerCase(),
    ]);
    const earlier = seen.get(identity);
    if (!earlier) {
      seen.set(identity, job);
      continue;
    }
    issues.push({
      field: '/mailboxes',
      ...(job.entry.line > 0 ? { position: { line: job.entry.line, column: 1 } } : {}),
      message: `${job.entry.line > 0 ? `line ${job.entry.line}` : job.label}: the same mailbox as ${earlier.entry.line > 0 ? `line ${earlier.entry.line}` : earlier.label} (${job.servers[0]}), under another name of its server`,
    });
  }
  return issues;
}

/**
 * Two mailboxes into one destination mailbox (a merge) with a setting that removes mail there:
 * `existing: replace` would have the second job empty what the first copied (its state then
 * says done, so nothing copies it again), and `mirrorDeletions` would have each job remove
 * copies the other's source still holds. Refused, naming both lines.
 */
function sharedDestinationIssues(jobs: readonly MailboxJob[], profile: BatchProfile): Issue[] {
  const removing = [
    ...(profile.destination.existing === 'replace' ? ['existing: replace'] : []),
    ...(profile.copy.mirrorDeletions ? ['mirrorDeletions'] : []),
  ];
  if (removing.length === 0) return [];
  const seen = new Map<string, MailboxJob>();
  const issues: Issue[] = [];
  for (const job of jobs) {
    const server = job.servers[1];
    if (!job.destination || server === undefined) continue;
    const mailbox = (job.entry.destinationMailbox ?? job.entry.sourceUser).toLowerCase();
    const identity = JSON.stringify([server, mailbox]);
    const earlier = seen.get(identity);
    if (!earlier) {
      seen.set(identity, job);
      continue;
    }
    const where = (j: MailboxJob): string => (j.entry.line > 0 ? `line ${j.entry.line}` : j.label);
    issues.push({
      field: '/mailboxes',
      ...(job.entry.line > 0 ? { position: { line: job.entry.line, column: 1 } } : {}),
      message: `${where(job)}: into the same destination mailbox as ${where(earlier)} (${mailbox} at ${server}), and ${removing.join(' and ')} removes mail there: one job would remove what the other copied. Give each its own destination mailbox, or leave ${removing.join(' and ')} out.`,
    });
  }
  return issues;
}

/**
 * @throws CONFIG_INVALID for the profile, the list (every problem, with line and column), a
 *   mailbox listed twice, or two into one destination with a setting that removes mail there;
 *   USAGE_INVALID without a state path. No mail server is contacted.
 */
export async function prepareBatch(
  input: BatchInput,
  options: BatchOptions,
): Promise<PreparedBatch> {
  const profile = profileOf(input);
  const statePath = statePathOf(input, options);
  const secrets = batchSecrets(profile, options.env ?? process.env);
  const entries = await mailboxesOf(profile, secrets);
  const listed = mailboxJobs(profile, entries, secrets, `${statePath}.imports`);
  const jobs = options.only ? listed.filter((job) => options.only!.has(job.entry.key)) : listed;
  if (options.only && jobs.length === 0)
    throw makeError('CONFIG_INVALID', 'None of the mailboxes to run again is in the list.', {
      field: '/mailboxes',
    });
  await resolveServers(jobs);
  const duplicates = [...duplicateIssues(jobs), ...sharedDestinationIssues(jobs, profile)];
  if (duplicates.length > 0) throw new ConfigError(duplicates);
  const passwords = [
    ...entries.flatMap((e) => [e.sourcePassword, e.destinationPassword]),
    ...Object.values(secrets),
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  return { profile, jobs, secrets, statePath, passwords };
}

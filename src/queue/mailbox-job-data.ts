/**
 * What the queue carries per mailbox: BullMQ's queue name, the job's payload (the logins only
 * sealed, sealed.ts) and its id, which names the run and the mailbox, so enqueuing twice adds
 * nothing.
 */
import { shortHash } from '../read/cursor.js';

export const QUEUE_NAME = 'imap-connector-mailboxes';

/** The payload of one mailbox's job. */
export interface MailboxJobData {
  batch: string;
  runId: number;
  key: string;
  label: string;
  /** The servers it uses, `address:port`, source first. */
  servers: string[];
  maxConnectionsPerServer: number;
  parallelMailboxes: number;
  /** Attempts at the mailbox before it fails (the profile's throttle.attempts). */
  attempts: number;
  sealed: { iv: string; tag: string; data: string };
}

/** A job id that names the run and the mailbox; BullMQ refuses ":" in custom ids. */
export function jobIdOf(batch: string, runId: number, key: string): string {
  return `${shortHash({ batch })}-r${runId}-${shortHash({ key })}`;
}

/**
 * Messages whose FETCH failed for them alone (an answer that broke the grammar, a refusal, an
 * answer without every item): they still become rows (issue 24), with the fields a lighter
 * FETCH gives and the problem as the row's `error`, so one hostile message never blocks its
 * folder and no message disappears from a read without a trace.
 */
import type { FetchQueryObject } from 'imapflow';
import type { FetchedMessage } from '../fetched-message.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import type { FailedFetch } from '../imap/match-fetch-responses.js';
import type { Session } from '../imap/open-session.js';
import type { MessageProblem } from '../message-limits.js';

/** The problem of a message the server answered without every item asked for. */
export const INCOMPLETE_ANSWER: MessageProblem = {
  code: 'MESSAGE_UNAVAILABLE',
  message:
    'The server answered the FETCH of this message without all the items asked for (the body, say).',
};

/** Lighter and lighter FETCHes: the envelope without the structure, then the bare facts. */
function fallbackQueries(capabilities: { has(name: string): boolean }): FetchQueryObject[] {
  const bare: FetchQueryObject = { uid: true, flags: true, internalDate: true, size: true };
  const gmail = capabilities.has('X-GM-EXT-1') ? { labels: true, threadId: true } : {};
  return [{ ...bare, envelope: true, ...gmail }, bare];
}

/**
 * One message per failure (in UID order) with what could still be read and its `problem`.
 * A message the lighter FETCHes no longer find was expunged meanwhile: it has no row.
 */
export async function readWhatRemains(
  session: Session,
  failures: readonly FailedFetch[],
): Promise<FetchedMessage[]> {
  const problems = new Map(failures.map((failure) => [failure.uid, failure.problem]));
  const found: FetchedMessage[] = [];
  let pending = [...problems.keys()];
  for (const query of fallbackQueries(session.client.capabilities)) {
    if (pending.length === 0) break;
    const answer = await fetchMessages(session, pending, query);
    for (const message of answer.messages)
      found.push({ ...message, problem: problems.get(message.uid)! });
    pending = [...answer.failed.map((f) => f.uid), ...answer.incomplete];
  }
  for (const uid of pending) found.push({ uid, problem: problems.get(uid)! } as FetchedMessage);
  return found.sort((a, b) => a.uid - b.uid);
}

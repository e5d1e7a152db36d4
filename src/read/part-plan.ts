/**
 * Select "text" and "full": which MIME parts each message needs (rows/text-parts.ts, and for
 * "full" its attachments) and how they are fetched: one UID FETCH per distinct set of
 * sections (most messages of a mailbox share a few shapes) within a byte budget, attachments
 * digested as each message's answer arrives, while the rest of the FETCH is still coming. A
 * message without a usable BODYSTRUCTURE, with more sections than one command should name, or
 * whose parts the server did not give, gets its whole source instead.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import type { Session } from '../imap/open-session.js';
import { MESSAGE_LIMITS } from '../message-limits.js';
import { attachmentNodes } from '../rows/attachments.js';
import { digestAttachments, type DigestedAttachments } from '../rows/full-body.js';
import type { ParseBodyOptions } from '../rows/parse-body.js';
import { textParts } from '../rows/text-parts.js';
import { parseHeaderBlock } from '../rows/message-to-row.js';
import { structureMissesMultipart } from '../rows/structure-check.js';

/**
 * Part bytes one UID FETCH may bring (encoded sizes from BODYSTRUCTURE): with attachments
 * digested as each answer arrives, a full read holds about this much part data, whatever the
 * attachment mix (one message larger than it goes alone).
 */
export const PART_FETCH_BUDGET_BYTES = 16 * 1024 * 1024;

/** The sections one message needs for its row, and what they cost to fetch. */
interface WantedParts {
  message: FetchedMessage;
  sections: string[];
  bytes: number;
  /** Attachment sections that are no text part: dropped once digested. */
  attachmentOnly: string[];
}

function wantedParts(message: FetchedMessage, attachments: boolean): WantedParts {
  const parts = textParts(message.bodyStructure);
  const text = [...parts.text, ...parts.html];
  const textSections = new Set(text.map((part) => part.section));
  const nodes = attachments ? attachmentNodes(message.bodyStructure) : [];
  const attachmentOnly = [
    ...new Set(nodes.map((node) => node.part ?? '1').filter((part) => !textSections.has(part))),
  ];
  const bytes =
    text.reduce((sum, part) => sum + part.size, 0) +
    nodes.reduce((sum, node) => sum + (typeof node.size === 'number' ? node.size : 0), 0);
  return {
    message,
    sections: [...new Set([...textSections, ...attachmentOnly])],
    bytes,
    attachmentOnly,
  };
}

/** Messages that share a set of sections, cut into UID FETCHes within PART_FETCH_BUDGET_BYTES. */
function partFetches(wanted: readonly WantedParts[]): WantedParts[][] {
  const bySections = new Map<string, WantedParts[][]>();
  for (const want of wanted) {
    const key = want.sections.join(' ');
    const fetches = bySections.get(key) ?? [];
    bySections.set(key, fetches);
    const last = fetches.at(-1);
    const lastBytes = last?.reduce((sum, w) => sum + w.bytes, 0) ?? 0;
    if (last && lastBytes + want.bytes <= PART_FETCH_BUDGET_BYTES) last.push(want);
    else fetches.push([want]);
  }
  return [...bySections.values()].flat();
}

/**
 * One more UID FETCH for `messages`; `take` gets each of them with its answer (undefined when
 * the server gave none with every item asked for; a message the server refused alone also
 * gets that as its `problem`). Nothing is sent for no messages.
 */
export async function fetchFor(
  session: Session,
  messages: FetchedMessage[],
  query: Parameters<typeof fetchMessages>[2],
  take: (message: FetchedMessage, answer: FetchedMessage | undefined) => void,
  arrived?: (message: FetchedMessage, answer: FetchedMessage) => void,
): Promise<void> {
  if (messages.length === 0) return;
  const asked = new Map(messages.map((message) => [message.uid, message]));
  const fetched = await fetchMessages(
    session,
    [...asked.keys()],
    query,
    arrived ? { onMessage: (answer) => arrived(asked.get(answer.uid)!, answer) } : {},
  );
  const byUid = new Map(fetched.messages.map((message) => [message.uid, message]));
  const failed = new Map(fetched.failed.map((failure) => [failure.uid, failure.problem]));
  for (const message of messages) {
    // Refused for this message alone: its row says so instead of lacking a body silently.
    const problem = failed.get(message.uid);
    if (problem) message.problem ??= problem;
    take(message, byUid.get(message.uid));
  }
}

/** Which messages are read by their parts (and which parts), which as their whole source. */
function planParts(
  batch: readonly FetchedMessage[],
  withDigests: boolean,
): { wholeSource: Set<number>; wanted: WantedParts[] } {
  const wholeSource = new Set<number>();
  const wanted: WantedParts[] = [];
  for (const message of batch) {
    if (message.problem) continue;
    const contentType = parseHeaderBlock(message.headers)['content-type']?.[0];
    if (!message.bodyStructure || structureMissesMultipart(message.bodyStructure, contentType)) {
      wholeSource.add(message.uid);
      continue;
    }
    const want = wantedParts(message, withDigests);
    // A command naming thousands of sections is refused (Dovecot: BAD): such a message is read whole.
    if (want.sections.length > MESSAGE_LIMITS.sectionsPerMessage) wholeSource.add(message.uid);
    else if (want.sections.length > 0) wanted.push(want);
  }
  return { wholeSource, wanted };
}

/**
 * Fetches the parts of each message of a batch that its row needs (into `bodyParts`), and for
 * "full" digests the attachments into `digests`. Returns the UIDs whose whole source was
 * fetched instead. A message that already failed (`problem`) gets nothing more.
 */
export async function addParts(
  session: Session,
  batch: FetchedMessage[],
  digests: Map<number, DigestedAttachments> | undefined,
  options: ParseBodyOptions,
): Promise<Set<number>> {
  const { wholeSource, wanted } = planParts(batch, digests !== undefined);
  for (const group of partFetches(wanted)) {
    const attachmentOnly = new Map(group.map((want) => [want.message.uid, want.attachmentOnly]));
    // Digested as each answer arrives: the server goes on sending the next ones meanwhile,
    // and attachment bytes are let go at once.
    const digest = (message: FetchedMessage, answer: FetchedMessage): void => {
      if (!digests || !answer.bodyParts) return;
      message.bodyParts = answer.bodyParts;
      digests.set(message.uid, digestAttachments(message, options));
      for (const section of attachmentOnly.get(message.uid) ?? []) answer.bodyParts.delete(section);
    };
    await fetchFor(
      session,
      group.map((want) => want.message),
      { uid: true, bodyParts: group[0]!.sections },
      (message, answer) => {
        if (!answer?.bodyParts) {
          wholeSource.add(message.uid);
          digests?.delete(message.uid);
          return;
        }
        // Digested on arrival (full rows); should one not be, fullBody digests it from these.
        message.bodyParts = answer.bodyParts;
      },
      digest,
    );
  }
  const missing = batch.filter((message) => wholeSource.has(message.uid) && !message.source);
  await fetchFor(session, missing, { uid: true, source: true }, (message, answer) => {
    if (answer?.source) message.source = answer.source;
  });
  return wholeSource;
}

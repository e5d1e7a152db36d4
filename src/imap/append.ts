import { redactText } from '../config/redact.js';
import { makeError, type ConnectorError } from '../errors.js';
import { withCommandDeadline } from './command-deadline.js';
import { isFlag } from './command-line.js';
import { ensureFolder } from './ensure-folder.js';
import { execCommand, type ImapAttribute } from './imapflow-internals.js';
import { encodeMailboxName, imapDateTime, sameFolder } from './mailbox-name.js';
import type { Session } from './open-session.js';
import { keepsFlag } from './permanent-flags.js';
import { expandUidSet } from './uid-set.js';
import { isStreamed, wholeBytes, type MessageBytes } from './streamed-body.js';

/** One message to store: its exact source bytes (or a stream of them), flags and the server's internal date. */
export interface OutgoingMessage {
  raw: MessageBytes;
  flags: readonly string[];
  internalDate: Date | undefined;
}

/** An outgoing message held whole in memory (what write() takes). */
export type HeldMessage = OutgoingMessage & { raw: Buffer };

/** What became of each message of appendMany(): stored (with its UID when known), or refused alone. */
export type AppendOutcome =
  | { stored: true; uid: number | undefined }
  | { stored: false; error: ConnectorError };

export interface AppendManyResult {
  /** One per message, in order; missing from the first message a fatal error stopped. */
  outcomes: AppendOutcome[];
  /** Why the rest was not sent: the connection, the quota; undefined when all were tried. */
  fatal: ConnectorError | undefined;
  /** The fatal error was the source's: it stopped while a message streamed from it. */
  fatalAtSource?: true;
}

export interface AppendResult {
  /** The new UID (APPENDUID, RFC 4315), when the server says. */
  uid: number | undefined;
  uidValidity: string | undefined;
}

interface ServerError {
  serverResponseCode?: string;
  responseStatus?: string;
  responseText?: string;
}

// \Recent is the server's alone (RFC 3501 section 2.3.2); APPEND with it is rejected.
const UNSETTABLE = new Set(['\\recent']);

/** The server's reason for refusing an APPEND, without Dovecot's timings and without secrets. */
function refusalText(raw: ServerError, session: Session): string | undefined {
  if (!raw.responseText) return undefined;
  // Dovecot appends timings, "(0.001 + 0.000 secs).", to every answer: not part of the reason.
  return redactText(raw.responseText, session.secrets)
    .replace(/\s*\([\d.]+ \+ [\d.]+(?: \+ [\d.]+)? secs\)\.?$/, '')
    .replace(/\.$/, '');
}

/** RFC 7889 APPENDLIMIT, RFC 4469 TOOBIG, RFC 5530 LIMIT, or the words (Dovecot's quota_max_mail_size). */
function isTooLarge(code: string, text: string): boolean {
  return (
    code === 'APPENDLIMIT' ||
    code === 'TOOBIG' ||
    (code === 'LIMIT' && /size/i.test(text)) ||
    /too (big|large)|larger than the maximum/i.test(text)
  );
}

/** A refused APPEND as a clear error: too large, over quota, missing folder, or the server's own words. */
export function toAppendError(
  error: unknown,
  session: Session,
  folder: string,
  size: number,
): ConnectorError {
  const raw = (typeof error === 'object' && error !== null ? error : {}) as ServerError;
  const code = (raw.serverResponseCode ?? '').toUpperCase();
  const text = refusalText(raw, session);
  const details = {
    folder,
    size,
    ...(code ? { serverResponseCode: code } : {}),
    ...(text ? { responseText: text } : {}),
  };
  const where = JSON.stringify(folder);
  if (isTooLarge(code, text ?? '')) {
    const limit = session.client.capabilities.get('APPENDLIMIT');
    return makeError(
      'MESSAGE_TOO_LARGE',
      `The message (${size} bytes) is larger than ${where} accepts${typeof limit === 'number' ? ` (APPENDLIMIT ${limit})` : ''}.`,
      { details },
    );
  }
  if (code === 'OVERQUOTA' || /quota/i.test(text ?? '')) {
    return makeError(
      'OVER_QUOTA',
      `The target mailbox is over quota; ${where} cannot take more mail.`,
      { details },
    );
  }
  if (raw.responseStatus === 'NO' || raw.responseStatus === 'BAD') {
    return makeError(
      'APPEND_FAILED',
      `The server refused to store a message in ${where}${text ? `: ${text}` : ''}.`,
      { details },
    );
  }
  return session.asError(error);
}

/**
 * APPENDs one message with its flags and internal date. A folder the server says is missing
 * (TRYCREATE) is created and the APPEND tried once more.
 * @throws MESSAGE_TOO_LARGE, OVER_QUOTA, APPEND_FAILED, or a session error (CONNECTION_LOST, ...)
 */
export async function appendMessage(
  session: Session,
  folder: string,
  message: OutgoingMessage,
): Promise<AppendResult> {
  const flags = message.flags.filter((flag) => isFlag(flag) && !UNSETTABLE.has(flag.toLowerCase()));
  // imapflow sends a literal it holds whole: a streamed message is read whole for this path.
  const raw = await wholeBytes(message.raw);
  await selectForAppend(session, folder);
  const attempt = async (): Promise<AppendResult> => {
    const result = await withCommandDeadline(
      session,
      'APPEND',
      () => session.client.append(folder, raw, flags, message.internalDate),
      { abortable: false },
    );
    if (!result)
      throw makeError('CONNECTION_LOST', 'The session ended before the message could be stored.');
    return { uid: result.uid, uidValidity: result.uidValidity?.toString() };
  };
  try {
    return await attempt();
  } catch (error) {
    if ((error as ServerError).serverResponseCode?.toUpperCase() !== 'TRYCREATE')
      throw toAppendError(error, session, folder, raw.length);
  }
  await ensureFolder(session, folder);
  await selectForAppend(session, folder);
  try {
    return await attempt();
  } catch (error) {
    throw toAppendError(error, session, folder, raw.length);
  }
}

/**
 * SELECTs the destination read-write unless it already is. Two reasons: Dovecot opens and
 * syncs a folder for every APPEND to a folder that is not selected (about 5 ms a message here,
 * three quarters of an import's time), and imapflow keeps only the flags the *selected* folder
 * may store (an EXAMINEd folder may store none). A missing folder is left to APPEND's TRYCREATE.
 */
export async function selectForAppend(session: Session, folder: string): Promise<void> {
  const selected = session.client.mailbox;
  if (selected && !selected.readOnly && sameFolder(selected.path, folder)) return;
  try {
    await withCommandDeadline(session, 'SELECT', () => session.client.mailboxOpen(folder));
  } catch (error) {
    const raw = error as ServerError;
    // Not there (yet): a failed SELECT leaves nothing selected (RFC 3501 section 6.3.1, and
    // imapflow follows), so APPEND gets TRYCREATE and imapflow filters no flag.
    if (raw.responseStatus !== 'NO') throw session.asError(error);
  }
}

// A refusal of one message that leaves the rest of the batch worth sending.
const PER_MESSAGE = new Set(['MESSAGE_TOO_LARGE', 'APPEND_FAILED']);
// One MULTIAPPEND carries at most this much: bounded memory on both sides, and a refusal
// (which undoes the whole command, RFC 3502) costs at most this much resending.
export const MULTIAPPEND_MAX_BYTES = 8 * 1024 * 1024;
export const MULTIAPPEND_MAX_MESSAGES = 100;

const APPENDUID = /^\[APPENDUID \d+ ([\d:,]+)\]/i;

/**
 * The new UIDs a tagged OK's APPENDUID (RFC 4315) gives a command of `count` messages, in
 * order; each undefined when the server gave none, or not one per message.
 */
export function appendedUids(text: string, count: number): (number | undefined)[] {
  const uids = expandUidSet(APPENDUID.exec(text)?.[1] ?? '');
  return Array.from({ length: count }, (_, i) => (uids.length === count ? uids[i] : undefined));
}

/**
 * The flags of a message the selected target folder may keep: atoms only (anything else cannot
 * have come from an IMAP server), never \\Recent, and within its PERMANENTFLAGS.
 */
export function storableFlags(
  message: Pick<OutgoingMessage, 'flags'>,
  permanent: ReadonlySet<string> | undefined,
): string[] {
  return message.flags.filter(
    (flag) => isFlag(flag) && !UNSETTABLE.has(flag.toLowerCase()) && keepsFlag(permanent, flag),
  );
}

/**
 * The MULTIAPPEND arguments in imapflow's compiler shape: the folder in modified UTF-7 (no
 * byte outside printable ASCII), per message its flags, date and source as a literal. A flag
 * that is no atom cannot have come from an IMAP server and is not sent.
 */
export function multiAppendAttributes(
  folder: string,
  messages: readonly OutgoingMessage[],
  permanent: ReadonlySet<string> | undefined,
): ImapAttribute[] {
  const attributes: ImapAttribute[] = [{ type: 'ATOM', value: encodeMailboxName(folder) }];
  for (const message of messages) {
    attributes.push(
      storableFlags(message, permanent).map((flag) => ({ type: 'ATOM', value: flag })),
    );
    if (message.internalDate)
      attributes.push({ type: 'STRING', value: imapDateTime(message.internalDate) });
    // nextChunk never puts a streamed message in a MULTIAPPEND of imapflow's.
    if (isStreamed(message.raw)) throw new Error('A streamed message cannot go in a MULTIAPPEND.');
    attributes.push({ type: 'LITERAL', value: message.raw });
  }
  return attributes;
}

/**
 * One MULTIAPPEND (RFC 3502): every message in one command, one round trip, stored all or
 * none. Flags the selected target folder may not keep are left out, as imapflow's append() does.
 * @returns the new UIDs from APPENDUID, when the server gives one per message.
 */
async function multiAppend(
  session: Session,
  folder: string,
  messages: readonly OutgoingMessage[],
): Promise<(number | undefined)[]> {
  const client = session.client;
  const permanent = client.mailbox ? client.mailbox.permanentFlags : undefined;
  const attributes = multiAppendAttributes(folder, messages, permanent);
  const response = await withCommandDeadline(
    session,
    'APPEND',
    () => execCommand(client, 'APPEND', attributes),
    { abortable: false },
  );
  const section = response.response.attributes?.[0]?.section ?? [];
  response.next();
  const uids =
    section[0]?.value?.toUpperCase() === 'APPENDUID' && section[2]?.value
      ? expandUidSet(section[2].value)
      : [];
  return messages.map((_, i) => (uids.length === messages.length ? uids[i] : undefined));
}

/**
 * The next messages that may go in one MULTIAPPEND: held whole (a streamed message goes in a
 * command of its own), within APPENDLIMIT, without NUL, at most 100 or 8 MB.
 */
export function nextChunk(
  session: Session,
  messages: readonly OutgoingMessage[],
  from: number,
): OutgoingMessage[] {
  const chunk: OutgoingMessage[] = [];
  if (!session.client.capabilities.has('MULTIAPPEND')) return chunk;
  const limit = session.client.capabilities.get('APPENDLIMIT');
  // NUL bytes need BINARY's literal8, which imapflow's append() knows how to send.
  const fits = (raw: MessageBytes): raw is Buffer =>
    !isStreamed(raw) && (typeof limit !== 'number' || raw.length <= limit) && !raw.includes(0);
  let bytes = 0;
  for (let i = from; i < messages.length && chunk.length < MULTIAPPEND_MAX_MESSAGES; i++) {
    const next = messages[i]!;
    if (!fits(next.raw) || (chunk.length > 0 && bytes + next.raw.length > MULTIAPPEND_MAX_BYTES))
      break;
    chunk.push(next);
    bytes += next.raw.length;
  }
  return chunk;
}

/** One message alone; a refusal of just this message is its outcome, anything else is fatal. */
export async function appendOne(
  session: Session,
  folder: string,
  message: OutgoingMessage,
  outcomes: AppendOutcome[],
): Promise<ConnectorError | undefined> {
  try {
    const appended = await appendMessage(session, folder, message);
    outcomes.push({ stored: true, uid: appended.uid });
  } catch (error) {
    const classified = session.asError(error);
    if (!PER_MESSAGE.has(classified.code)) return classified;
    outcomes.push({ stored: false, error: classified });
  }
  return undefined;
}

/**
 * A chunk in one MULTIAPPEND: true when stored; false when refused as a whole (nothing was
 * stored, RFC 3502), so its messages go one by one.
 * @throws a session error (the connection, not the messages).
 */
async function tryMultiAppend(
  session: Session,
  folder: string,
  chunk: readonly OutgoingMessage[],
  outcomes: AppendOutcome[],
): Promise<boolean> {
  try {
    await selectForAppend(session, folder);
    for (const uid of await multiAppend(session, folder, chunk))
      outcomes.push({ stored: true, uid });
    return true;
  } catch (error) {
    const raw = error as ServerError;
    if (raw.responseStatus !== 'NO' && raw.responseStatus !== 'BAD') throw session.asError(error);
    return false;
  }
}

/**
 * APPENDs messages in order into one folder: in MULTIAPPEND commands when the server offers
 * it (one round trip per up to 100 messages or 8 MB, where single APPENDs cost Dovecot a few
 * milliseconds each), one by one otherwise. A refused MULTIAPPEND stored nothing (RFC 3502),
 * so its messages are sent again one by one, which finds the one at fault and stores the
 * rest. Never throws: a fatal error (connection, quota) ends the list and is returned.
 */
export async function appendMany(
  session: Session,
  folder: string,
  messages: readonly OutgoingMessage[],
): Promise<AppendManyResult> {
  const outcomes: AppendOutcome[] = [];
  let i = 0;
  try {
    while (i < messages.length) {
      const chunk = nextChunk(session, messages, i);
      if (chunk.length > 1 && (await tryMultiAppend(session, folder, chunk, outcomes))) {
        i += chunk.length;
        continue;
      }
      for (const message of chunk.length > 1 ? chunk : [messages[i]!]) {
        const fatal = await appendOne(session, folder, message, outcomes);
        if (fatal) return { outcomes, fatal };
        i++;
      }
    }
  } catch (error) {
    return { outcomes, fatal: session.asError(error) };
  }
  return { outcomes, fatal: undefined };
}

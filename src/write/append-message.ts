import { redactText } from '../config/redact.js';
import { makeError, type ConnectorError } from '../errors.js';
import { classifyError } from '../imap/classify-error.js';
import type { Session } from '../imap/open-session.js';

/** One message to store: its exact source bytes, flags and the server's internal date. */
export interface OutgoingMessage {
  raw: Buffer;
  flags: readonly string[];
  internalDate: Date | undefined;
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

/** A refused APPEND as a clear error: too large, over quota, missing folder, or the server's own words. */
export function toAppendError(error: unknown, session: Session, folder: string, size: number): ConnectorError {
  const raw = (typeof error === 'object' && error !== null ? error : {}) as ServerError;
  const code = (raw.serverResponseCode ?? '').toUpperCase();
  // Dovecot appends timings, "(0.001 + 0.000 secs).", to every answer: not part of the reason.
  const text = raw.responseText ? redactText(raw.responseText, session.secrets).replace(/\s*\([\d.]+ \+ [\d.]+(?: \+ [\d.]+)? secs\)\.?$/, '').replace(/\.$/, '') : undefined;
  const details = { folder, size, ...(code ? { serverResponseCode: code } : {}), ...(text ? { responseText: text } : {}) };
  // RFC 7889 APPENDLIMIT, RFC 4469 TOOBIG, RFC 5530 LIMIT, or the words (Dovecot's quota_max_mail_size).
  if (code === 'APPENDLIMIT' || code === 'TOOBIG' || (code === 'LIMIT' && /size/i.test(text ?? '')) || /too (big|large)|larger than the maximum/i.test(text ?? '')) {
    const limit = session.client.capabilities.get('APPENDLIMIT');
    return makeError('MESSAGE_TOO_LARGE', `The message (${size} bytes) is larger than ${JSON.stringify(folder)} accepts${typeof limit === 'number' ? ` (APPENDLIMIT ${limit})` : ''}.`, { details });
  }
  if (code === 'OVERQUOTA' || /quota/i.test(text ?? '')) {
    return makeError('OVER_QUOTA', `The target mailbox is over quota; ${JSON.stringify(folder)} cannot take more mail.`, { details });
  }
  if (raw.responseStatus === 'NO' || raw.responseStatus === 'BAD') {
    return makeError('APPEND_FAILED', `The server refused to store a message in ${JSON.stringify(folder)}${text ? `: ${text}` : ''}.`, { details });
  }
  return session.fault() ?? classifyError(error, session.errorContext);
}

/**
 * APPENDs one message with its flags and internal date. A folder the server says is missing
 * (TRYCREATE) is created and the APPEND tried once more.
 * @throws MESSAGE_TOO_LARGE, OVER_QUOTA, APPEND_FAILED, or a session error (CONNECTION_LOST, ...)
 */
export async function appendMessage(session: Session, folder: string, message: OutgoingMessage): Promise<AppendResult> {
  const flags = message.flags.filter((flag) => !UNSETTABLE.has(flag.toLowerCase()));
  // imapflow keeps only the flags the *selected* folder may store, and a folder opened with
  // EXAMINE (a dedupe index) may store none: leave it first. CLOSE after EXAMINE expunges nothing.
  const selected = session.client.mailbox;
  if (selected && selected.readOnly) await session.client.mailboxClose();
  const attempt = async (): Promise<AppendResult> => {
    const result = await session.client.append(folder, message.raw, flags, message.internalDate);
    if (!result) throw makeError('CONNECTION_LOST', 'The session ended before the message could be stored.');
    return { uid: result.uid, uidValidity: result.uidValidity?.toString() };
  };
  try {
    return await attempt();
  } catch (error) {
    if ((error as ServerError).serverResponseCode?.toUpperCase() !== 'TRYCREATE') throw toAppendError(error, session, folder, message.raw.length);
  }
  await ensureFolder(session, folder);
  try {
    return await attempt();
  } catch (error) {
    throw toAppendError(error, session, folder, message.raw.length);
  }
}

/** Creates the folder (and, on servers that need it, its parents); an existing one is fine. */
export async function ensureFolder(session: Session, folder: string): Promise<void> {
  try {
    await session.client.mailboxCreate(folder);
  } catch (error) {
    const raw = error as ServerError;
    if (raw.serverResponseCode?.toUpperCase() === 'ALREADYEXISTS') return;
    throw makeError('APPEND_FAILED', `The folder ${JSON.stringify(folder)} does not exist and could not be created${raw.responseText ? `: ${redactText(raw.responseText, session.secrets)}` : ''}.`, {
      details: { folder, ...(raw.serverResponseCode ? { serverResponseCode: raw.serverResponseCode } : {}) },
      cause: error,
    });
  }
}

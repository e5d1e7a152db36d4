import { withCommandDeadline } from '../imap/command-deadline.js';
import type { Session } from '../imap/open-session.js';
import { withMailbox } from '../imap/with-mailbox.js';
import { fetchMessages } from '../imap/fetch-messages.js';
import { toUidSet } from '../imap/uid-set.js';
import { uidSearch } from '../imap/uid-search.js';
import { HeaderDedupeIndex, type DedupeIndex, type IndexedMessage } from './dedupe-index.js';
import {
  headerKeys,
  IDENTITY_HEADER_FIELDS,
  parseHeaderFields,
  type DedupeMode,
} from './message-identity.js';

// Header fields are ~300 bytes a message: a few thousand per FETCH keeps memory and round trips low.
const INDEX_BATCH = 2000;

/** Header keys of every message in the folder: one UID SEARCH, then UID FETCH of header fields in batches. */
export async function indexedMessages(session: Session, path: string): Promise<IndexedMessage[]> {
  return withMailbox(session, path, true, async () => {
    const uids = await uidSearch(session, [{ type: 'ATOM', value: 'ALL' }]);
    const fields = IDENTITY_HEADER_FIELDS.map((field) => field.toLowerCase());
    const indexed: IndexedMessage[] = [];
    for (let i = 0; i < uids.length; i += INDEX_BATCH) {
      const { messages } = await fetchMessages(session, uids.slice(i, i + INDEX_BATCH), {
        uid: true,
        headers: fields,
      });
      for (const message of messages) {
        const keys = headerKeys(parseHeaderFields(message.headers ?? Buffer.alloc(0)));
        indexed.push({
          uid: message.uid,
          messageIdKey: keys.messageIdKey,
          headerDigest: keys.headerDigest,
        });
      }
    }
    return indexed;
  });
}

/** BODY.PEEK[TEXT] of a few UIDs, through imapflow (messages are collected before anything else is sent). */
async function readBodies(
  session: Session,
  path: string,
  uids: number[],
): Promise<Map<number, Buffer>> {
  return withMailbox(session, path, true, () =>
    withCommandDeadline(session, 'UID FETCH', async () => {
      const bodies = new Map<number, Buffer>();
      for await (const message of session.client.fetch(
        toUidSet(uids),
        { uid: true, bodyParts: ['TEXT'] },
        { uid: true },
      )) {
        const text = message.bodyParts?.get('text') ?? message.bodyParts?.get('TEXT');
        // Unsolicited answers (another client's flag changes, other UIDs) are no body of ours.
        if (text && uids.includes(message.uid)) bodies.set(message.uid, text);
      }
      return bodies;
    }),
  );
}

/**
 * The dedupe index of an IMAP folder, built once per folder per run. A folder that does not
 * exist yet is empty. Mode none builds nothing. `beforeRead`: awaited before each read of the
 * target (the index, later bodies), when the session may be busy otherwise (APPENDs in flight
 * on its socket).
 */
export async function buildTargetFolderIndex(
  session: Session,
  path: string,
  mode: DedupeMode,
  exists: boolean,
  beforeRead: () => Promise<void> = async () => undefined,
): Promise<DedupeIndex> {
  await beforeRead();
  const existing = mode === 'none' || !exists ? [] : await indexedMessages(session, path);
  return new HeaderDedupeIndex(mode, existing, async (uids) => {
    await beforeRead();
    return readBodies(session, path, uids);
  });
}

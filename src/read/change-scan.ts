/**
 * The change feed's scan of one folder (issue 29): which messages the host holds (the cursor's
 * `known` UID set) were expunged or moved away since, and which messages at or below the
 * cursor's lastUid had their flags or labels changed since the cursor's MODSEQ (CONDSTORE, RFC
 * 7162: UID FETCH ... (CHANGEDSINCE n)). A changed message that matches the query now comes
 * again as an update (the whole row: an upsert); one the host holds that no longer matches is
 * deleted from it. A server without CONDSTORE still reports deletions, not flag changes.
 */
import { withCommandDeadline } from '../imap/command-deadline.js';
import type { Session } from '../imap/open-session.js';
import { uidSearch } from '../imap/uid-search.js';
import { toUidSet } from '../imap/uid-set.js';
import type { ImapAttribute } from '../imap/imapflow-internals.js';
import type { FolderCursor } from './cursor.js';

/** What a scan found, and the folder's new change baseline. */
export interface FolderChanges {
  /** UIDs to send again as whole rows (op "update"), ascending. */
  update: number[];
  /** UIDs the host must drop (op "delete"), ascending. */
  remove: number[];
  /** HIGHESTMODSEQ when the folder was examined: the next scan's baseline. */
  modseq: string | undefined;
}

// The known set may name at most this many UIDs: a larger one is a cursor not made here.
const MAX_KNOWN = 5_000_000;

/** A UID sequence set ("1:4,7") as a sorted list; nothing for a malformed or huge one. */
export function uidsOfSet(text: string | undefined): number[] {
  if (!text) return [];
  const uids: number[] = [];
  for (const part of text.split(',')) {
    const [from, to = from] = part.split(':').map(Number) as [number, number?];
    if (!Number.isInteger(from) || !Number.isInteger(to) || from! < 1 || to! < from!) return [];
    if (uids.length + (to! - from!) + 1 > MAX_KNOWN) return [];
    for (let uid = from!; uid <= to!; uid++) uids.push(uid);
  }
  return uids;
}

/** The known set after a page: what it held, less what was removed, plus what was sent. */
export function nextKnown(known: number[], remove: number[], sent: number[]): string {
  const gone = new Set(remove);
  const all = new Set(known.filter((uid) => !gone.has(uid)));
  for (const uid of sent) all.add(uid);
  return toUidSet([...all].sort((a, b) => a - b));
}

/** The folder's HIGHESTMODSEQ as examined, when the server keeps MODSEQs for it. */
export function highestModseqOf(session: Session): string | undefined {
  const { client } = session;
  const mailbox = client.mailbox;
  if (!mailbox || !client.enabled.has('CONDSTORE') || mailbox.noModseq) return undefined;
  return mailbox.highestModseq !== undefined ? mailbox.highestModseq.toString() : undefined;
}

async function changedSince(session: Session, lastUid: number, modseq: string): Promise<number[]> {
  const messages = await withCommandDeadline(session, 'UID FETCH (CHANGEDSINCE)', () =>
    session.client.fetchAll(
      `1:${lastUid}`,
      { uid: true, flags: true },
      { uid: true, changedSince: BigInt(modseq) },
    ),
  );
  return messages.map((m) => m.uid).filter((uid) => uid <= lastUid);
}

/**
 * Scans the examined folder for changes at or below `entry.lastUid` since `entry`.
 * @throws session and search errors.
 */
export async function scanChanges(
  session: Session,
  criteria: readonly ImapAttribute[],
  entry: FolderCursor,
): Promise<FolderChanges> {
  const modseq = highestModseqOf(session);
  const known = uidsOfSet(entry.known);
  if (entry.lastUid === 0) return { update: [], remove: [], modseq };
  const range = { type: 'SEQUENCE' as const, value: `1:${entry.lastUid}` };
  const uid = { type: 'ATOM' as const, value: 'UID' };
  const present = new Set(await uidSearch(session, [uid, range]));
  const changed =
    modseq !== undefined && entry.modseq !== undefined && BigInt(modseq) > BigInt(entry.modseq)
      ? await changedSince(session, entry.lastUid, entry.modseq)
      : [];
  const changedSet = { type: 'SEQUENCE' as const, value: toUidSet(changed) };
  const matching = new Set(
    changed.length > 0 ? await uidSearch(session, [...criteria, uid, changedSet]) : [],
  );
  const held = new Set(known);
  const remove = known.filter((u) => !present.has(u) || (changed.includes(u) && !matching.has(u)));
  return {
    update: changed.filter((u) => matching.has(u) && present.has(u)),
    remove: remove.filter((u) => held.has(u)),
    modseq,
  };
}

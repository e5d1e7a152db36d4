/**
 * The change feed's scan of one folder (issue 29): which messages the host holds (the cursor's
 * `known` UID set) were expunged or moved away since, and which messages at or below the
 * cursor's lastUid had their flags or labels changed since the cursor's MODSEQ (CONDSTORE, RFC
 * 7162: UID FETCH ... (CHANGEDSINCE n)). A changed message that matches the query now comes
 * again as an update (the whole row: an upsert); one the host holds that no longer matches is
 * deleted from it. Without CONDSTORE, changed flags are found by comparing each message's flags
 * with the hashes the cursor keeps (`flagUids`, `flags`).
 */
import { withCommandDeadline } from '../imap/command-deadline.js';
import { fetchFlags } from '../imap/fetch-flags.js';
import type { Session } from '../imap/open-session.js';
import { uidSearch, uidsUpTo } from '../imap/uid-search.js';
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
  /** Without MODSEQs: each present message's flag hash, the next scan's baseline. */
  flags?: Map<number, number>;
}

// Without CONDSTORE the cursor keeps 4 bytes per message at or below lastUid, up to this many.
export const MAX_FLAG_TRACKED = 50_000;

/** A message's flags as 32 bits (FNV-1a over the sorted flags; \Recent is per session). */
export function flagHash(flags: Iterable<string>): number {
  let hash = 0x811c9dc5;
  const text = [...flags]
    .filter((f) => f !== '\\Recent')
    .sort()
    .join(' ');
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  // 0 stands for "not known" in the cursor.
  return hash >>> 0 || 1;
}

/** The cursor's flag hashes (4 bytes per UID of the known set, in its order) as a map. */
export function decodeFlags(known: number[], text: string | undefined): Map<number, number> {
  const bytes = Buffer.from(text ?? '', 'base64url');
  const map = new Map<number, number>();
  if (bytes.length !== known.length * 4) return map;
  known.forEach((uid, i) => {
    const hash = bytes.readUInt32BE(i * 4);
    if (hash !== 0) map.set(uid, hash);
  });
  return map;
}

export function encodeFlags(known: number[], hashes: Map<number, number>): string {
  const bytes = Buffer.alloc(known.length * 4);
  known.forEach((uid, i) => bytes.writeUInt32BE(hashes.get(uid) ?? 0, i * 4));
  return bytes.toString('base64url');
}

/** UID FETCH set (UID FLAGS): each message's flag hash (the fallback without CONDSTORE). */
export async function flagsOf(session: Session, set: string): Promise<Map<number, number>> {
  const flags = await fetchFlags(session, set);
  return new Map([...flags].map(([uid, list]) => [uid, flagHash(list)]));
}

// The known set may name at most this many UIDs: a larger one is a cursor not made here.
const MAX_KNOWN = 5_000_000;

/** Flag hashes of messages (the fallback's baseline) as the cursor keeps them, or nothing beyond the bound. */
export function flagFields(
  hashes: Map<number, number>,
): { flagUids: string; flags: string } | undefined {
  if (hashes.size > MAX_FLAG_TRACKED) return undefined;
  const uids = [...hashes.keys()].sort((a, b) => a - b);
  return { flagUids: toUidSet(uids), flags: encodeFlags(uids, hashes) };
}

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

/** The folder's HIGHESTMODSEQ as examined, when the server keeps MODSEQs for it. */
export function highestModseqOf(session: Session): string | undefined {
  const { client } = session;
  const mailbox = client.mailbox;
  if (!mailbox || !client.enabled.has('CONDSTORE') || mailbox.noModseq) return undefined;
  return mailbox.highestModseq !== undefined ? mailbox.highestModseq.toString() : undefined;
}

/**
 * The folder's UIDNEXT as examined, where it has MODSEQs: the UID from which mail came after
 * the HIGHESTMODSEQ of the same answer. Undefined where there is none to bound.
 */
export function uidNextOf(session: Session): number | undefined {
  const uidNext = session.client.mailbox ? session.client.mailbox.uidNext : undefined;
  return highestModseqOf(session) !== undefined && uidNext ? uidNext : undefined;
}

async function changedSince(session: Session, lastUid: number, modseq: string): Promise<number[]> {
  const messages = await withCommandDeadline(session, 'UID FETCH (CHANGEDSINCE)', () =>
    session.client.fetchAll(
      `1:${lastUid}`,
      { uid: true },
      { uid: true, changedSince: BigInt(modseq) },
    ),
  );
  return messages.map((m) => m.uid).filter((uid) => uid <= lastUid);
}

/** Changed UIDs at or below lastUid, and what is there now, by MODSEQ or by comparing flags. */
async function changedAndPresent(
  session: Session,
  entry: FolderCursor,
  modseq: string | undefined,
  known: Set<number>,
): Promise<{ changed: number[]; present: Set<number>; flags?: Map<number, number> }> {
  if (modseq !== undefined) {
    const present = new Set(await uidsUpTo(session, [], entry.lastUid));
    const newer = entry.modseq !== undefined && BigInt(modseq) > BigInt(entry.modseq);
    return {
      changed: newer ? await changedSince(session, entry.lastUid, entry.modseq!) : [],
      present,
    };
  }
  // Without MODSEQs: every message's flags now against the hashes the cursor kept. A message
  // with no hash there, not held by the host, is new to the baseline (it did not match when
  // read past): it is checked against the query like a changed one.
  const flags = await flagsOf(session, `1:${entry.lastUid}`);
  const tracking = entry.flags !== undefined;
  const before = decodeFlags(uidsOfSet(entry.flagUids), entry.flags);
  const changed = [...flags.keys()].filter((u) =>
    before.has(u) ? before.get(u) !== flags.get(u) : tracking && !known.has(u),
  );
  return { changed: changed.sort((a, b) => a - b), present: new Set(flags.keys()), flags };
}

const UID = { type: 'ATOM' as const, value: 'UID' };

/**
 * Scans the examined folder for changes at or below `entry.lastUid` since `entry`, `known`
 * being the UIDs the host holds.
 * @throws session and search errors.
 */
export async function scanChanges(
  session: Session,
  criteria: readonly ImapAttribute[],
  entry: FolderCursor,
  known: number[],
): Promise<FolderChanges> {
  const modseq = highestModseqOf(session);
  // Nothing read yet: only the baseline, flag hashes only where there are no MODSEQs.
  if (entry.lastUid === 0)
    return {
      update: [],
      remove: [],
      modseq,
      ...(modseq === undefined ? { flags: new Map() } : {}),
    };
  const { changed, present, flags } = await changedAndPresent(
    session,
    entry,
    modseq,
    new Set(known),
  );
  const changedSet = { type: 'SEQUENCE' as const, value: toUidSet(changed) };
  const matching = new Set(
    changed.length > 0 ? await uidSearch(session, [...criteria, UID, changedSet]) : [],
  );
  const wasChanged = new Set(changed);
  return {
    update: changed.filter((u) => matching.has(u) && present.has(u)),
    remove: known.filter((u) => !present.has(u) || (wasChanged.has(u) && !matching.has(u))),
    modseq,
    ...(flags ? { flags } : {}),
  };
}

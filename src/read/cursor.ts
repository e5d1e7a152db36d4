import { createHash, createHmac } from 'node:crypto';
import { makeError, type ConnectorError } from '../errors.js';
import { formatIssues, validateCursorSchema } from '../validators.js';

/** Where one folder (one stream) stands: what was read of it, and for which query. */
export interface FolderCursor {
  uidValidity: string;
  lastUid: number;
  /** Digest of the search the folder was read with: another search must not continue from here. */
  query: string;
  /** Change feed: HIGHESTMODSEQ the next scan reports changes after (CONDSTORE servers). */
  modseq?: string;
  /** Change feed: the UIDs the host holds (a sequence set), so deletions can be told. */
  known?: string;
  /** Change feed: UIDs found changed whose update rows a later page still sends. */
  pending?: string;
  /**
   * Change feed: UIDNEXT when this run set `modseq`. Mail from that UID on came after the
   * baseline, with higher MODSEQs: the next run reads it, or it would come again as an update.
   */
  until?: number;
  /** Change feed without CONDSTORE: the UIDs whose flags `flags` keeps (a sequence set). */
  flagUids?: string;
  /** Change feed without CONDSTORE: a 4-byte hash of each of those messages' flags (base64url). */
  flags?: string;
}

/** Where a read stands, per folder. Opaque to hosts: they get it base64url-encoded. */
export interface CursorState {
  v: 2;
  /** The account (server host, user, authorization identity), not the port or security. */
  account: string;
  folders: Record<string, FolderCursor>;
  done: string[];
  remaining: number | null;
  complete: boolean;
  /** Change feed: folders scanned for changes in the current run. */
  scanned?: string[];
}

const MAC_KEY = 'imap-connector cursor v2';

/** A short, stable hash of any JSON value (key order of the input matters; callers pass fixed shapes). */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function macOf(state: CursorState): string {
  const { v, account, folders, done, remaining, complete, scanned } = state;
  return createHmac('sha256', MAC_KEY)
    .update(JSON.stringify({ v, account, folders, done, remaining, complete, scanned }))
    .digest('hex')
    .slice(0, 32);
}

function invalid(message: string, details?: Record<string, unknown>): ConnectorError {
  return makeError('CURSOR_INVALID', message, {
    field: '/cursor',
    ...(details ? { details } : {}),
  });
}

/** CursorState -> opaque base64url text. */
export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ ...state, mac: macOf(state) })).toString('base64url');
}

/**
 * Opaque text -> CursorState, refusing anything edited, truncated, or made for another
 * account: wrong data is worse than an error. Which folders it may continue is decided once
 * the folders are known (continueFolders).
 * @throws CURSOR_INVALID saying which check failed.
 */
export function decodeCursor(text: string, expected: { account: string }): CursorState {
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('The cursor is not one this connector made (it does not decode).');
  }
  if ((value as { v?: unknown } | null)?.v === 1)
    throw invalid(
      'The cursor was made by imap-connector 0.1, whose cursors cover all folders at once; start without a cursor (0.2 keeps one entry per folder).',
    );
  if (!validateCursorSchema(value)) {
    throw invalid('The cursor is damaged (it does not match the cursor schema).', {
      issues: formatIssues(validateCursorSchema.errors),
    });
  }
  const { mac, ...state } = value as CursorState & { mac: string };
  if (mac !== macOf(state))
    throw invalid('The cursor was changed after it was issued (checksum mismatch).');
  if (state.account !== expected.account)
    throw invalid('The cursor belongs to another account or server.');
  return state;
}

/**
 * The cursor's entries for the folders about to be read, checked against the search they
 * will be read with. A folder the cursor does not know starts from its beginning; a folder read
 * with another search is refused, or with `restart` started again, and listed. Entries of
 * folders not read this time are kept, so a folder dropped and added back goes on where it was.
 * @throws CURSOR_INVALID naming the folders whose search changed (without `restart`).
 */
export function continueFolders(
  state: CursorState,
  folders: string[],
  query: string,
  restart: boolean,
): { state: CursorState; restarted: string[] } {
  const changed = folders.filter((path) => {
    const entry = state.folders[path];
    return entry !== undefined && entry.query !== query;
  });
  if (changed.length === 0) return { state, restarted: [] };
  if (!restart)
    throw invalid(
      `The cursor was made for another search of ${changed.map((f) => JSON.stringify(f)).join(', ')}; pass restartChangedFolders to read ${changed.length === 1 ? 'it' : 'them'} again from the start, or start without a cursor.`,
      { folders: changed },
    );
  const next = structuredClone(state);
  for (const path of changed) {
    delete next.folders[path];
    next.done = next.done.filter((done) => done !== path);
    if (next.scanned) next.scanned = next.scanned.filter((scanned) => scanned !== path);
  }
  next.complete = false;
  return { state: next, restarted: changed };
}

/** The state a run starts from: a fresh one, a page cursor, or a finished run's state (then only new mail is read). */
export function startState(
  previous: CursorState | undefined,
  ids: { account: string },
  limit: number | null,
): CursorState {
  if (!previous)
    return {
      v: 2,
      account: ids.account,
      folders: {},
      done: [],
      remaining: limit,
      complete: false,
    };
  if (!previous.complete) return previous;
  const { scanned: _scanned, ...rest } = previous;
  return { ...rest, done: [], remaining: limit, complete: false };
}

/**
 * One folder's entry of a cursor this connector made, for display in a host's state (an
 * Airbyte stream state, a Singer bookmark). Not a check: decodeCursor checks when it is used.
 */
export function folderEntryOf(text: string, folder: string): FolderCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as CursorState;
    return value.folders?.[folder];
  } catch {
    return undefined;
  }
}

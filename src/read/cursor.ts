import { createHash, createHmac } from 'node:crypto';
import { makeError, type ConnectorError } from '../errors.js';
import { formatIssues, validateCursorSchema } from '../validators.js';

/** Where a read stands, per folder. Opaque to hosts: they get it base64url-encoded. */
export interface CursorState {
  v: 1;
  account: string;
  queryHash: string;
  folders: Record<string, { uidValidity: string; lastUid: number }>;
  done: string[];
  remaining: number | null;
  complete: boolean;
}

const MAC_KEY = 'imap-connector cursor v1';

/** A short, stable hash of any JSON value (key order of the input matters; callers pass fixed shapes). */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function macOf(state: CursorState): string {
  const { v, account, queryHash, folders, done, remaining, complete } = state;
  return createHmac('sha256', MAC_KEY)
    .update(JSON.stringify({ v, account, queryHash, folders, done, remaining, complete }))
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
 * account or query: wrong data is worse than an error.
 * @throws CURSOR_INVALID saying which check failed.
 */
export function decodeCursor(
  text: string,
  expected: { account: string; queryHash: string },
): CursorState {
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('The cursor is not one this connector made (it does not decode).');
  }
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
  if (state.queryHash !== expected.queryHash)
    throw invalid(
      'The cursor was made for another query or folder selection; start without a cursor.',
    );
  return state;
}

/** The state a run starts from: a fresh one, a page cursor, or a finished run's state (then only new mail is read). */
export function startState(
  previous: CursorState | undefined,
  ids: { account: string; queryHash: string },
  limit: number | null,
): CursorState {
  if (!previous)
    return {
      v: 1,
      account: ids.account,
      queryHash: ids.queryHash,
      folders: {},
      done: [],
      remaining: limit,
      complete: false,
    };
  if (!previous.complete) return previous;
  return { ...previous, done: [], remaining: limit, complete: false };
}

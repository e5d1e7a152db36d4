/**
 * One stream (one folder) read to its end for a stream host: rows in UID order, and the
 * stream's state after every page whose rows were all handed over, so a host that stores
 * the last state it saw resumes without gaps and without repeats.
 */
import type { OperationOptions } from '../operation-options.js';
import { folderEntryOf } from '../read/cursor.js';
import { readStream } from '../read/read-stream.js';
import { compile } from '../validators.js';

/** A stream's state as hosts keep it: the cursor, and where it stands in words a person reads. */
export interface StreamState {
  cursor: string;
  uidValidity?: string;
  lastUid?: number;
}

export const STREAM_STATE_SCHEMA = {
  type: 'object',
  required: ['cursor'],
  properties: {
    cursor: { type: 'string', minLength: 1, maxLength: 1000000 },
    uidValidity: { type: 'string' },
    lastUid: { type: 'integer', minimum: 0 },
  },
};

export const validateStreamState = compile('stream-state', STREAM_STATE_SCHEMA);

export interface StreamSyncHooks {
  onRow(row: unknown): void | Promise<void>;
  /** After every page: the rows before it have all gone through onRow. */
  onState(state: StreamState): void | Promise<void>;
  onWarning(message: string): void | Promise<void>;
}

export function streamStateOf(cursor: string, stream: string): StreamState {
  const entry = folderEntryOf(cursor, stream);
  return entry ? { cursor, uidValidity: entry.uidValidity, lastUid: entry.lastUid } : { cursor };
}

/**
 * Reads `stream` from `previous` (or from its start) to its end. A stream whose search changed
 * since its state was made starts again from its beginning (a warning says so): a scheduled
 * host has nobody to ask. Returns the rows handed over and the final state.
 * @throws like readStream; a fault after some pages leaves their states already emitted.
 */
export async function syncStream(
  connection: unknown,
  stream: string,
  previous: StreamState | undefined,
  hooks: StreamSyncHooks,
  options: OperationOptions = {},
): Promise<{ rows: number; state: StreamState }> {
  let rows = 0;
  const iterator = readStream(connection, undefined, {
    ...options,
    streams: [stream],
    ...(previous ? { cursor: previous.cursor } : {}),
    restartChangedFolders: true,
    onCheckpoint: async (checkpoint) => {
      for (const warning of checkpoint.warnings) await hooks.onWarning(warning);
      for (const change of checkpoint.uidValidityChanged)
        await hooks.onWarning(
          `${change.folder}: UIDVALIDITY changed from ${change.previous} to ${change.current}, so it is read again from the start`,
        );
      await hooks.onState(streamStateOf(checkpoint.cursor, stream));
    },
  });
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { rows, state: streamStateOf(next.value, stream) };
    rows++;
    await hooks.onRow(next.value);
  }
}

/**
 * A host's connection config with the adapters' one default: no query reads every message
 * (a scheduled sync has no query box; the manifest leaves the query empty for hosts that do).
 */
export function sourceConfig(raw: Record<string, unknown>): Record<string, unknown> {
  const query = raw.query;
  const empty = query === undefined || (typeof query === 'string' && query.trim() === '');
  return empty ? { ...raw, query: 'ALL' } : raw;
}

/** The dateTimeFormat a config asks for, for typing the dates of a stream's schema. */
export function dateTimeFormatOf(config: Record<string, unknown>): string | undefined {
  return typeof config.dateTimeFormat === 'string' ? config.dateTimeFormat : undefined;
}

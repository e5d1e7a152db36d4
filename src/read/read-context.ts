import type { ReadFaults } from './read-faults.js';
import { assertRole, validateConfig, type Config } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { listFolders } from '../imap/list-folders.js';
import { openSession, type Session } from '../imap/open-session.js';
import { Pace } from '../imap/pace.js';
import type { OperationOptions } from '../operation-options.js';
import { needsGmail } from '../query/render-search.js';
import { planFolders } from '../query/plan.js';
import type { SelectOptions } from '../rows/select.js';
import { decodeCursor, type CursorState } from './cursor.js';
import { prepareRead, type ReadPlan } from './prepare-read.js';

/** What read, testQuery and discover share: validated inputs, an open session, the folders. */
export interface ReadContext {
  config: Config;
  plan: ReadPlan;
  session: Session;
  folders: FolderInfo[];
  /** Wildcard folder patterns that matched nothing. */
  unmatched: string[];
  /** The run's pace: kept across its sessions, so a reconnect after a throttle goes on slower. */
  pace: Pace;
  /** Reads that dropped the connection in this read's earlier sessions (ReconnectingRead). */
  readFaults?: ReadFaults;
}

export interface PreparedRead {
  config: Config;
  plan: ReadPlan;
  previous: CursorState | undefined;
}

/**
 * Validates config, query, select and cursor: everything that can fail without the server.
 * @throws CONFIG_INVALID, QUERY_INVALID, CURSOR_INVALID.
 */
export function prepare(
  input: unknown,
  query: string | object | undefined,
  select: SelectOptions,
  cursor?: string,
): PreparedRead {
  const config = validateConfig(input);
  assertRole(config, 'source');
  const plan = prepareRead(config, query, select);
  const previous = cursor ? decodeCursor(cursor, plan) : undefined;
  return { config, plan, previous };
}

/** Reading only some streams (folders) of a query: ReadOptions.streams. */
export interface StreamSelection {
  /** Stream names as discover() lists them (folder paths); omitted: every folder of the query. */
  streams?: string[];
}

/**
 * The planned folders limited to the named streams, in plan order.
 * @throws FOLDER_NOT_FOUND naming a stream the query does not have, with the ones it has.
 */
export function selectStreams(folders: FolderInfo[], streams: string[] | undefined): FolderInfo[] {
  if (streams === undefined) return folders;
  const known = folders.map((folder) => folder.path);
  const unknown = streams.find((name) => !known.includes(name));
  if (unknown !== undefined)
    throw makeError(
      'FOLDER_NOT_FOUND',
      `No stream ${JSON.stringify(unknown)} in this query: its streams are its folders.`,
      { field: '/streams', details: { folder: unknown, available: known } },
    );
  return folders.filter((folder) => streams.includes(folder.path));
}

/**
 * Opens a session and lists and plans the folders. The caller closes ctx.session.
 * @throws FOLDER_NOT_FOUND, QUERY_UNSUPPORTED (X-GM-RAW without X-GM-EXT-1), session errors.
 */
export async function openReadContext(
  prepared: PreparedRead,
  options: OperationOptions & StreamSelection,
  pace: Pace = new Pace(options.logger),
): Promise<ReadContext> {
  const session = await openSession(prepared.config, options);
  try {
    if (needsGmail(prepared.plan.criteria) && !session.client.capabilities.has('X-GM-EXT-1')) {
      throw makeError(
        'QUERY_UNSUPPORTED',
        'X-GM-RAW needs the Gmail extension (X-GM-EXT-1), which this server does not offer.',
        { field: '/query' },
      );
    }
    const planned = planFolders(await listFolders(session), prepared.plan.folders);
    return {
      config: prepared.config,
      plan: prepared.plan,
      session,
      folders: selectStreams(planned.folders, options.streams),
      unmatched: planned.unmatched,
      pace,
    };
  } catch (error) {
    await session.close();
    // A cut in the LIST comes as imapflow's own error: named here, a reconnect can take it.
    throw session.asError(error);
  }
}

/** openReadContext, then `work`, then always close the session. */
export async function withReadContext<T>(
  prepared: PreparedRead,
  options: OperationOptions & StreamSelection,
  work: (ctx: ReadContext) => Promise<T>,
): Promise<T> {
  const ctx = await openReadContext(prepared, options);
  try {
    return await work(ctx);
  } finally {
    await ctx.session.close();
  }
}

import { assertRole, validateConfig } from '../config/validate-config.js';
import { redactError } from '../config/redact.js';
import { ConfigError, makeError, type ConnectorErrorJson } from '../errors.js';
import type { Issue } from '../errors.js';
import { withCommandDeadline } from '../imap/command-deadline.js';
import { inPersonalNamespace, sameFolder } from '../imap/mailbox-name.js';
import { openSession, type Session } from '../imap/open-session.js';
import { permanentFlagsOf, splitByPermanence } from '../imap/permanent-flags.js';
import { addFlags, deleteUids, moveUids } from '../imap/uid-actions.js';
import { toUidSet } from '../imap/uid-set.js';
import { uidValidityOf } from '../imap/uid-validity.js';
import { withMailbox } from '../imap/with-mailbox.js';
import type { OperationOptions } from '../operation-options.js';
import { formatIssues, validateActionsSchema } from '../validators.js';
import { parseRowId, type RowId } from './row-id.js';

/** What to do with the messages behind rows (schemas/actions.schema.json). */
export interface Actions {
  /** Row ids as read() returned them. */
  ids: string[];
  markSeen?: boolean;
  /** Flags or keywords to add. */
  flags?: string[];
  /** Move to this folder (created when missing). */
  moveTo?: string;
  /** Delete (UID EXPUNGE of just these messages). */
  delete?: boolean;
}

/** The outcome for the rows of one folder. */
export interface FolderActionResult {
  folder: string;
  uidValidity: string;
  uids: number[];
  status: 'done' | 'refused';
  /** Moved or deleted and gone from the folder; false when the server lacks UIDPLUS and they stay marked \Deleted. */
  expunged?: boolean;
  /** MOVE, or COPY then delete on a server without MOVE. */
  moveMethod?: 'MOVE' | 'COPY';
  /** The rows were read from the folder moveTo names: left where they are, not moved. */
  alreadyThere?: true;
  /** Flags the folder cannot keep (not in its PERMANENTFLAGS): not set; absent when none. */
  flagsLeftOut?: string[];
  error?: ConnectorErrorJson;
}

export interface ApplyActionsResult {
  acknowledged: number;
  refused: number;
  folders: FolderActionResult[];
  warnings: string[];
}

interface Group {
  folder: string;
  uidValidity: string;
  uids: number[];
}

/**
 * Checks the input and groups the ids by folder and UIDVALIDITY, before any I/O.
 * @throws CONFIG_INVALID naming each bad field (/ids/3, /flags/0) or moveTo with delete.
 */
function parseActions(input: unknown): { actions: Actions; ids: RowId[] } {
  const copy = structuredClone(input);
  if (!validateActionsSchema(copy))
    throw new ConfigError(formatIssues(validateActionsSchema.errors));
  const actions = copy as Actions;
  const issues: Issue[] = [];
  if (actions.moveTo !== undefined && actions.delete)
    issues.push({ field: '/delete', message: 'moveTo and delete exclude each other: choose one' });
  const ids = actions.ids.map((text, index) => {
    const id = parseRowId(text);
    if (!id)
      issues.push({
        field: `/ids/${index}`,
        message: `ids/${index} is not a row id (imap://user@host/folder;UIDVALIDITY=n/;UID=n)`,
      });
    return id;
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { actions, ids: ids as RowId[] };
}

function groupIds(ids: RowId[]): Group[] {
  const groups = new Map<string, Group>();
  for (const id of ids) {
    const key = `${id.uidValidity}\u0000${id.folder}`;
    const group = groups.get(key) ?? { folder: id.folder, uidValidity: id.uidValidity, uids: [] };
    if (!group.uids.includes(id.uid)) group.uids.push(id.uid);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({ ...g, uids: g.uids.sort((a, b) => a - b) }));
}

/**
 * Sets the flags the selected folder keeps; returns those it cannot (not in its
 * PERMANENTFLAGS), which imapflow would drop without a word, for the result to say.
 */
async function markKept(
  session: Session,
  uids: string,
  actions: Actions,
): Promise<string[] | undefined> {
  const flags = [...(actions.markSeen ? ['\\Seen'] : []), ...(actions.flags ?? [])];
  const { kept, leftOut } = splitByPermanence(permanentFlagsOf(session), flags);
  await addFlags(session, uids, kept);
  return leftOut.length > 0 ? leftOut : undefined;
}

/** Applies the actions to one folder's UIDs, or refuses when the folder was renumbered. */
async function actOnFolder(
  session: Session,
  group: Group,
  actions: Actions,
): Promise<FolderActionResult> {
  const base = { folder: group.folder, uidValidity: group.uidValidity, uids: group.uids };
  return withMailbox(session, group.folder, false, async () => {
    const current = uidValidityOf(session);
    if (current !== group.uidValidity) {
      // The UIDs now name other messages, or none: acting on them would be a guess.
      const error = makeError(
        'UIDVALIDITY_CHANGED',
        `UIDVALIDITY of ${JSON.stringify(group.folder)} is ${current}, not ${group.uidValidity} as in the ids: the server renumbered the folder, so these ids no longer name the messages read. Nothing was changed.`,
        { details: { folder: group.folder, previous: group.uidValidity, current } },
      );
      return { ...base, status: 'refused', error: redactError(error, session.secrets) };
    }
    const uids = toUidSet(group.uids);
    const leftOut = await markKept(session, uids, actions);
    const done = {
      ...base,
      status: 'done' as const,
      ...(leftOut ? { flagsLeftOut: leftOut } : {}),
    };
    return { ...done, ...(await moveOrDelete(session, group.folder, uids, actions)) };
  });
}

/** The move or delete of the actions, once the marks are made; what the result says of it. */
async function moveOrDelete(
  session: Session,
  folder: string,
  uids: string,
  actions: Actions,
): Promise<Pick<FolderActionResult, 'expunged' | 'moveMethod' | 'alreadyThere'>> {
  const target = actions.moveTo;
  if (target !== undefined) {
    // Moved into their own folder they would get new UIDs, and a read over that folder would
    // give them as new rows, to be acknowledged and moved again, run after run.
    // (moveTo as the server names it: "Done" is "INBOX.Done" on Courier.)
    const prefix = session.client.namespace?.prefix;
    if (sameFolder(inPersonalNamespace(target, prefix), folder)) return { alreadyThere: true };
    const moved = await moveUids(session, uids, target);
    return { expunged: moved.expunged, moveMethod: moved.method };
  }
  if (actions.delete) return { expunged: (await deleteUids(session, uids)).expunged };
  return {};
}

/**
 * Acknowledges rows a host has processed: marks, flags, moves or deletes the messages behind
 * the `id`s read() returned (the inbox-processing loop: read, process, acknowledge). Ids are
 * grouped per folder; a folder whose UIDVALIDITY changed since the read is refused, never
 * guessed at, and the others go on. Moving and deleting touch only these messages (UID MOVE,
 * or COPY + \Deleted + UID EXPUNGE; never a plain EXPUNGE). Running it twice is harmless.
 * @throws CONFIG_INVALID (input, ids of another account, a connection without isSource)
 *   before any change; session errors and ABORTED stop the call, with details.results so far.
 */
export async function applyActions(
  connection: unknown,
  input: unknown,
  options: OperationOptions = {},
): Promise<ApplyActionsResult> {
  const config = validateConfig(connection);
  assertRole(config, 'source');
  const { actions, ids } = parseActions(input);
  const groups = groupIds(ids);
  const session = await openSession(config, options);
  const result: ApplyActionsResult = { acknowledged: 0, refused: 0, folders: [], warnings: [] };
  try {
    const foreign = ids.findIndex((id) => id.account !== session.account);
    if (foreign >= 0)
      throw new ConfigError([
        {
          field: `/ids/${foreign}`,
          message: `ids/${foreign} names a message of ${ids[foreign]!.account}, not of this connection (${session.account})`,
        },
      ]);
    const existing = await withCommandDeadline(session, 'LIST', () => session.client.list());
    for (const group of groups) {
      if (options.signal?.aborted) throw makeError('ABORTED', 'Acknowledging was cancelled.');
      const folder = existing.find((entry) => sameFolder(entry.path, group.folder));
      const outcome = folder
        ? await actOnFolder(session, { ...group, folder: folder.path }, actions)
        : {
            folder: group.folder,
            uidValidity: group.uidValidity,
            uids: group.uids,
            status: 'refused' as const,
            error: makeError(
              'FOLDER_NOT_FOUND',
              `No folder ${JSON.stringify(group.folder)} on the server any more.`,
              { details: { folder: group.folder } },
            ).toJSON(),
          };
      result.folders.push(outcome);
      if (outcome.status === 'done') result.acknowledged += outcome.uids.length;
      else result.refused += outcome.uids.length;
      if (outcome.flagsLeftOut)
        result.warnings.push(
          `${outcome.folder}: the folder cannot keep ${outcome.flagsLeftOut.join(', ')} (not in its PERMANENTFLAGS), so the ${outcome.uids.length} messages were not given them`,
        );
      if (outcome.expunged === false)
        result.warnings.push(
          `${outcome.folder}: the server has no UIDPLUS, so the ${outcome.uids.length} messages are marked \\Deleted but not expunged (a plain EXPUNGE would also remove other \\Deleted mail)`,
        );
    }
    return result;
  } catch (error) {
    throw session.asError(error).withDetails({ results: result.folders });
  } finally {
    await session.close();
  }
}

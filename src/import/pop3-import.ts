/**
 * One attempt at importing a POP3 mailbox (issue 27): log in, list UIDL and sizes, copy each
 * message whose UIDL the job has not stored into one destination folder, then the deletion
 * rule, then QUIT (which is when the server removes what DELE marked). The journal is per UIDL
 * (pop3-state.ts); a store in flight when a run died is looked for at the destination first,
 * so a cut mid-RETR or a kill loses nothing and copies nothing twice.
 */
import type { ReadFaults } from '../read/read-faults.js';
import { givenUp, inTurn, listedDropped, proveFirst, retrieveNoting } from './pop3-drops.js';
import { makeError, type ConnectorError } from '../errors.js';
import { refuseReadingWhatItWrites } from './same-account.js';
import {
  openDestination,
  openFolderSink,
  replaceOnce,
  type Destination,
  type ImportOptions,
  type OpenedState,
} from './import-destination.js';
import type { FolderImportResult, ImportResult } from './import-result.js';
import { ageCutoff, deletesByAge } from './post-read-action.js';
import type { PreparedImport } from './prepare-import.js';
import type { FolderSink } from '../sinks/sink.js';
import { abortedError, sleep } from '../sleep.js';
import { openPop3 } from '../pop3/open-pop3.js';
import type { Pop3Client } from '../pop3/pop3-client.js';
import { pop3Folder, pop3SourceMessage } from './pop3-message.js';
import { Pop3State, type Pop3Entry } from './pop3-state.js';

/** What copying needs: the client, the journal, the destination folder and its result. */
interface Pop3Run {
  client: Pop3Client;
  state: Pop3State;
  sink: FolderSink;
  keepsRows: boolean;
  account: string;
  folder: string;
  entry: FolderImportResult;
  prepared: PreparedImport;
  options: ImportOptions;
  /** RETRs that dropped the connection in earlier attempts of this run. */
  readFaults: ReadFaults;
}

const INBOX = pop3Folder('INBOX');

export async function importPop3(
  prepared: PreparedImport,
  opened: OpenedState,
  options: ImportOptions,
  { result, readFaults }: { result: ImportResult; readFaults: ReadFaults },
): Promise<void> {
  if (!opened.db)
    throw makeError(
      'CONFIG_INVALID',
      'A POP3 source keeps its journal in a local state file: it cannot run from a shared (queue) state store.',
      { field: '/pop3' },
    );
  const { client, account } = await openPop3(prepared.source, options);
  let destination: Destination | undefined;
  try {
    destination = await openDestination(prepared, opened, account, options);
    const folder = pop3Folder(prepared.pop3!.folder);
    // POP3 reads the account's INBOX, whatever folder its mail goes to.
    await refuseReadingWhatItWrites(prepared, destination, [folder], { read: [INBOX] });
    await replaceOnce(prepared, [folder], destination, result);
    const { sink, entry } = await openFolderSink(destination, folder, result);
    const run: Pop3Run = {
      client,
      state: new Pop3State(opened.db, prepared.job),
      sink,
      keepsRows: destination.sink.keepsRows,
      account,
      folder: folder.path,
      entry,
      prepared,
      options,
      readFaults,
    };
    await copyAndQuit(run);
  } finally {
    client.destroy();
    await destination?.close();
  }
}

/** Copies, marks the deletion rule's messages, and QUITs, which is when the server removes them. */
async function copyAndQuit(run: Pop3Run): Promise<void> {
  const deleted = await copyAll(run);
  await run.client.quit();
  // Counted once the server removed them: DELE without QUIT removes nothing.
  if (deleted > 0) run.entry.sourceDeleted = (run.entry.sourceDeleted ?? 0) + deleted;
}

/** Copies what is new and marks the deletion rule's messages; how many it marked. */
async function copyAll(run: Pop3Run): Promise<number> {
  const started = Date.now();
  try {
    const ids = await run.client.uidl();
    const sizes = await run.client.sizes();
    const entries = await settleIntents(run, run.state.entries());
    // Failed messages the server no longer lists are not owed any more.
    const listed = new Set(ids.values());
    run.state.forgetFailed(
      [...entries.values()].filter((e) => !listed.has(e.uidl)).map((e) => e.uidl),
    );
    const dropped = listedDropped(ids, entries);
    for (const [number, uidl] of inTurn(ids, entries)) {
      const known = entries.get(uidl);
      if (known?.status === 'stored') continue;
      const id = known?.id ?? run.state.nextId();
      // Its RETR dropped the connection each time in this run: listed, left for the next run.
      if (givenUp(run.readFaults, run.folder, id)) continue;
      if (dropped.has(number))
        await proveFirst(run, sizes, dropped, run.prepared.source.maxMessageSize);
      await copyOne(run, number, uidl, id, sizes.get(number) ?? 0);
    }
    return await deleteCopied(run, ids);
  } finally {
    run.entry.elapsedMs += Date.now() - started;
  }
}

/** Stores in flight when a run died: at the destination (stored) or not (copied again). */
async function settleIntents(
  run: Pop3Run,
  entries: Map<string, Pop3Entry>,
): Promise<Map<string, Pop3Entry>> {
  for (const entry of entries.values()) {
    if (entry.status !== 'intent') continue;
    if (entry.identity && (await run.sink.confirm(entry.identity))) {
      run.state.stored(entry.uidl, entry.id, entry.received);
      entry.status = 'stored';
      run.entry.recovered++;
    } else {
      run.state.failed(
        entry.uidl,
        entry.id,
        'CONNECTION_LOST',
        'The run stopped before this message was confirmed at the destination; it is copied again.',
      );
      entry.status = 'failed';
    }
  }
  return entries;
}

async function copyOne(
  run: Pop3Run,
  number: number,
  uidl: string,
  id: number,
  size: number,
): Promise<void> {
  const { state, entry, prepared, options } = run;
  const config = prepared.source;
  if (options.signal?.aborted) throw abortedError();
  // Seen once settled (stored, a duplicate or failed): a RETR cut midway is no progress, or a
  // message that drops the connection every time would reset the reconnects' count forever.
  const fail = (code: string, message: string): void => {
    entry.seen++;
    state.failed(uidl, id, code, message);
    entry.failed++;
    entry.failures.push({ uid: id, code, message });
  };
  if (size > config.maxMessageSize)
    return fail(
      'MESSAGE_TOO_LARGE',
      `The message is larger than maxMessageSize (${config.maxMessageSize} bytes); raise it to copy this message.`,
    );
  // Listed without counting: read after the rest on the next attempt (pop3-drops.ts).
  const list = (code: string, message: string): void => state.failed(uidl, id, code, message);
  const raw = await retrieveNoting(run, number, id, fail, list);
  if (!raw) return;
  const refused = await store(run, uidl, id, raw);
  if (refused) fail(refused.code, refused.message);
  else entry.seen++;
  options.onProgress?.({ ...entry, failures: [...entry.failures] });
  if (config.delayBetweenMessagesMs > 0) await sleep(config.delayBetweenMessagesMs, options.signal);
}

/**
 * One retrieved message to the destination: a duplicate is recorded as held, else an intent,
 * the store, and the record. What the destination refused for this message alone, if anything.
 * @throws the destination's fatal error (the connection, the quota).
 */
async function store(
  run: Pop3Run,
  uidl: string,
  id: number,
  raw: Buffer,
): Promise<ConnectorError | undefined> {
  const { state, sink, entry } = run;
  const place = { account: run.account, folder: run.folder, id };
  const message = pop3SourceMessage(raw, place, run.keepsRows);
  const [present] = await sink.contains([message.identity]);
  if (present) {
    state.stored(uidl, id, message.internalDate);
    entry.duplicates++;
    return undefined;
  }
  state.intend(uidl, id, message.identity, message.internalDate);
  const stored = await sink.storeMany([message]);
  if (stored.fatal) throw stored.fatal;
  const refused = stored.outcomes[0];
  if (refused) return refused;
  state.stored(uidl, id, message.internalDate);
  entry.copied++;
  entry.bytes += raw.length;
  return undefined;
}

/**
 * The deletion rule: DELE for every listed message the destination holds (this run's and
 * earlier runs'), by age when the rule says so; never one that failed. The server removes
 * them at QUIT; a run cut before it deletes them the next time.
 */
async function deleteCopied(run: Pop3Run, ids: Map<number, string>): Promise<number> {
  const action = run.prepared.postReadAction;
  if (action.type !== 'delete') return 0;
  const cutoff = deletesByAge(action) ? ageCutoff(action.olderThanDays) : undefined;
  const entries = run.state.entries();
  let deleted = 0;
  for (const [number, uidl] of ids) {
    const known = entries.get(uidl);
    if (known?.status !== 'stored') continue;
    // A message without a readable date cannot be shown to be old enough: it stays.
    if (cutoff !== undefined && !(known.received && known.received.slice(0, 10) < cutoff)) continue;
    await run.client.delete(number);
    deleted++;
  }
  return deleted;
}

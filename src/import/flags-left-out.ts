/**
 * Flags a folder could not keep, said in the result instead of lost without a word. A
 * destination folder whose PERMANENTFLAGS lack a keyword (and \*) stores the copy without it:
 * the server drops it from the APPEND, and flag sync cannot set it later. A source folder
 * that cannot keep a post-read action's flag (markSeen, addKeyword) is not sent the STORE.
 */
import { storableFlags } from '../imap/append.js';
import { keepsFlag } from '../imap/permanent-flags.js';
import type { FlagsLeftOut, FolderImportResult } from './import-result.js';
import type { FolderRun } from './folder-run.js';

/** Per folder result (shared by the attempts of a run that reconnected): copies per flag. */
const copiedFlags = new WeakMap<FolderImportResult, Map<string, number>>();

/** Counts the flags the destination was asked to keep for messages now copied. */
export function tallyCopiedFlags(
  result: FolderImportResult,
  messages: readonly { flags: readonly string[] }[],
): void {
  let tally = copiedFlags.get(result);
  for (const message of messages)
    for (const flag of storableFlags(message, undefined)) {
      if (!tally) copiedFlags.set(result, (tally = new Map()));
      tally.set(flag, (tally.get(flag) ?? 0) + 1);
    }
}

/** Adds messages per flag to the result's list for one side. */
export function noteLeftOut(
  result: FolderImportResult,
  side: FlagsLeftOut['side'],
  counts: ReadonlyMap<string, number>,
): void {
  for (const [flag, messages] of counts) {
    const list = (result.flagsLeftOut ??= []);
    const entry = list.find((e) => e.side === side && e.flag === flag);
    if (entry) entry.messages += messages;
    else list.push({ side, flag, messages });
  }
}

/**
 * At the folder's end: the copied messages' flags its destination folder cannot keep. Asks
 * the destination only when a copy had a flag at all.
 */
export async function noteCopiesLeftOut(run: FolderRun): Promise<void> {
  const tally = copiedFlags.get(run.result);
  const kept = run.job.sink.keptFlags;
  if (!tally || !kept) return;
  // Kept until asked: a run that reconnects asks again, for every attempt's copies.
  const permanent = await kept();
  copiedFlags.delete(run.result);
  noteLeftOut(
    run.result,
    'destination',
    new Map([...tally].filter(([flag]) => !keepsFlag(permanent, flag))),
  );
}

/**
 * A POP3 source's RETRs that drop the connection (read-faults.ts): a message whose RETR drops
 * it every time fails alone, listed for the next run, instead of the run at every attempt.
 */
import { isConnectorError } from '../errors.js';
import type { Pop3Client } from '../pop3/pop3-client.js';
import { proofMaxBytes } from '../read/prove-carriage.js';
import type { ReadFaults } from '../read/read-faults.js';
import { DROPPED } from './job-state.js';
import type { Pop3Entry } from './pop3-state.js';

// ReadFaults keys a message by folder, UIDVALIDITY and number: POP3 has neither of the last
// two, so the journal's id of the UIDL stands for the number, in a space of its own.
const UIDL_SPACE = 'pop3';

/** Whether the message's RETR dropped the connection each time in this run: not tried again. */
export function givenUp(faults: ReadFaults, folder: string, id: number): boolean {
  return faults.givenUp(folder, UIDL_SPACE, id);
}

/**
 * The server's messages in its order, those listed for dropping the connection last: the rest
 * shows the connection can carry mail, so a drop then counts against the message.
 */
export function inTurn(
  ids: Map<number, string>,
  entries: Map<string, Pop3Entry>,
): [number, string][] {
  const dropped = listedDropped(ids, entries);
  const all = [...ids];
  return [...all.filter(([n]) => !dropped.has(n)), ...all.filter(([n]) => dropped.has(n))];
}

/** The numbers of the server's messages listed for dropping the connection. */
export function listedDropped(
  ids: Map<number, string>,
  entries: Map<string, Pop3Entry>,
): Set<number> {
  const dropped = (uidl: string): boolean => entries.get(uidl)?.message === DROPPED.message;
  return new Set([...ids].filter(([, uidl]) => dropped(uidl)).map(([n]) => n));
}

/**
 * Before a listed message is read again while nothing came through in this run (the rest was
 * copied by earlier runs): another message under 1 MB (or maxMessageSize) is retrieved whole
 * and dropped, which shows that the connection carries mail (read/prove-carriage.ts), so its
 * drops count against it and the run does not fail on it run after run.
 * @param suspects the numbers of the messages listed for dropping the connection
 * @throws the connection's fault (the run reconnects)
 */
export async function proveFirst(
  run: { client: Pop3Client; readFaults: ReadFaults },
  sizes: Map<number, number>,
  suspects: ReadonlySet<number>,
  maxMessageSize: number,
): Promise<void> {
  if (run.readFaults.cameThrough()) return;
  const maxBytes = proofMaxBytes(maxMessageSize);
  const numbers = [...sizes.keys()].sort((a, b) => b - a);
  const proof = numbers.find((n) => !suspects.has(n) && sizes.get(n)! < maxBytes);
  if (proof === undefined) return;
  await run.client.retrieve(proof);
  run.readFaults.noteRead(1);
}

/**
 * A message's bytes, or undefined when the server refused it alone (then listed as failed).
 * Its drops are noted: the one that gives it up lists it (`fail`), and one before any message
 * came through lists it without counting it (`list`), so the next attempt reads it last.
 * @throws the connection's fault
 */
export async function retrieveNoting(
  run: { client: Pop3Client; readFaults: ReadFaults; folder: string },
  number: number,
  id: number,
  fail: (code: string, message: string) => void,
  list: (code: string, message: string) => void,
): Promise<Buffer | undefined> {
  const place = { folder: run.folder, uidValidity: UIDL_SPACE };
  try {
    return await run.readFaults.reading(place, [id], run.client.retrieve(number), {
      givenUp: () => fail(DROPPED.code, DROPPED.message),
      suspect: () => list(DROPPED.code, DROPPED.message),
    });
  } catch (error) {
    if (isConnectorError(error) && error.code === 'MESSAGE_UNAVAILABLE')
      return void fail(error.code, error.message);
    throw error;
  }
}

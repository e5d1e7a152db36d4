import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileWriteError } from '../file-error.js';
import { MONTHS, twoDigits } from '../date-text.js';
import type { Archive, ArchiveFilter, ArchivedMessage, VerifyResult } from './archive-db.js';

export interface ExportResult {
  messages: number;
  bytes: number;
  /** Messages left out because their stored bytes are not what was archived. */
  damaged: VerifyResult['damaged'];
}

// Exported mail is private: files 0600, folders 0700, whatever the umask.
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

function writeFile(path: string, data: Buffer): void {
  try {
    const fd = openSync(path, 'w', FILE_MODE);
    try {
      writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw fileWriteError(error, path, 'export file');
  }
}

function damagedEntry(message: ArchivedMessage): VerifyResult['damaged'][number] {
  return {
    account: message.account,
    folder: message.folder,
    uidValidity: message.uidValidity,
    uid: message.uid,
    damage: message.damage,
  };
}

// Characters no file system takes in a name, and control characters.
const UNSAFE = /[\\/:*?"<>|\u0000-\u001f]/g;

function safeSegment(name: string): string {
  const cleaned = name.replace(UNSAFE, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

/** dir/<account>/<folder levels>/<uidvalidity>-<uid>.eml */
export function emlPath(
  dir: string,
  message: Pick<ArchivedMessage, 'account' | 'folder' | 'uidValidity' | 'uid'>,
): string {
  const levels = message.folder.split('/').map(safeSegment);
  return join(
    dir,
    safeSegment(message.account),
    ...levels,
    `${message.uidValidity}-${message.uid}.eml`,
  );
}

/**
 * Writes every matching message as its own .eml file, byte for byte as it was received. A
 * message whose stored bytes fail their check is not written, but listed in `damaged`.
 * @throws FILE_WRITE_FAILED
 */
export function exportEml(archive: Archive, dir: string, filter: ArchiveFilter = {}): ExportResult {
  const result: ExportResult = { messages: 0, bytes: 0, damaged: [] };
  // Account, folder, UIDVALIDITY and UID are unique in a sound archive; a second message for
  // one path means damaged metadata, and overwriting would lose the first silently.
  const written = new Set<string>();
  for (const message of archive.messages(filter)) {
    const path = emlPath(dir, message);
    if (!message.damage && written.has(path))
      message.damage = 'another message has the same account, folder and UID (damaged metadata)';
    if (message.damage) {
      result.damaged.push(damagedEntry(message));
      continue;
    }
    written.add(path);
    try {
      mkdirSync(join(path, '..'), { recursive: true, mode: DIR_MODE });
    } catch (error) {
      throw fileWriteError(error, join(path, '..'), 'export folder');
    }
    writeFile(path, message.raw);
    result.messages++;
    result.bytes += message.raw.length;
  }
  return result;
}

const FROM_LINE = /^(>*From )/gm;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** asctime() as the mbox "From " line wants it, in UTC: "Mon Jan  2 15:04:05 2006". */
export function asctime(iso: string | null): string {
  const d = new Date(iso ?? 0);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())}:${twoDigits(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * One message as an mbox entry (mboxrd): its "From " line, its bytes with each line starting
 * with ">*From " given one more ">", so a reader can undo it exactly, and an empty line.
 */
export function mboxEntry(message: Pick<ArchivedMessage, 'raw' | 'internalDate'>): Buffer {
  const text = message.raw.toString('latin1').replace(FROM_LINE, '>$1');
  const ending = text.endsWith('\n') ? '' : '\n';
  return Buffer.from(
    `From MAILER-DAEMON ${asctime(message.internalDate)}\n${text}${ending}\n`,
    'latin1',
  );
}

/**
 * Writes matching messages into one mbox file (mboxrd: a line starting with ">*From " gets one
 * more ">", so a reader can undo it exactly). Each message is followed by an empty line. A
 * damaged message is left out and listed in `damaged`.
 * @throws FILE_WRITE_FAILED
 */
export function exportMbox(
  archive: Archive,
  file: string,
  filter: ArchiveFilter = {},
): ExportResult {
  const result: ExportResult = { messages: 0, bytes: 0, damaged: [] };
  let fd: number;
  try {
    fd = openSync(file, 'w', FILE_MODE);
  } catch (error) {
    throw fileWriteError(error, file, 'mbox file');
  }
  try {
    for (const message of archive.messages(filter)) {
      if (message.damage) {
        result.damaged.push(damagedEntry(message));
        continue;
      }
      try {
        writeSync(fd, mboxEntry(message));
      } catch (error) {
        throw fileWriteError(error, file, 'mbox file');
      }
      result.messages++;
      result.bytes += message.raw.length;
    }
  } finally {
    closeSync(fd);
  }
  return result;
}

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MONTHS } from '../query/parse-value.js';
import type { Archive, ArchiveFilter, ArchivedMessage } from './archive-db.js';

export interface ExportResult {
  messages: number;
  bytes: number;
}

// Characters no file system takes in a name, and control characters.
const UNSAFE = /[\\/:*?"<>|\u0000-\u001f]/g;

function safeSegment(name: string): string {
  const cleaned = name.replace(UNSAFE, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

/** dir/<account>/<folder levels>/<uidvalidity>-<uid>.eml */
export function emlPath(dir: string, message: Pick<ArchivedMessage, 'account' | 'folder' | 'uidValidity' | 'uid'>): string {
  const levels = message.folder.split('/').map(safeSegment);
  return join(dir, safeSegment(message.account), ...levels, `${message.uidValidity}-${message.uid}.eml`);
}

/** Writes every matching message as its own .eml file, byte for byte as it was received. */
export function exportEml(archive: Archive, dir: string, filter: ArchiveFilter = {}): ExportResult {
  const result: ExportResult = { messages: 0, bytes: 0 };
  for (const message of archive.messages(filter)) {
    const path = emlPath(dir, message);
    mkdirSync(join(path, '..'), { recursive: true });
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, message.raw);
    } finally {
      closeSync(fd);
    }
    result.messages++;
    result.bytes += message.raw.length;
  }
  return result;
}

const FROM_LINE = /^(>*From )/gm;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const two = (n: number): string => String(n).padStart(2, '0');

/** asctime() as the mbox "From " line wants it, in UTC: "Mon Jan  2 15:04:05 2006". */
export function asctime(iso: string | null): string {
  const d = new Date(iso ?? 0);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/**
 * Writes matching messages into one mbox file (mboxrd: a line starting with ">*From " gets one
 * more ">", so a reader can undo it exactly). Each message is followed by an empty line.
 */
export function exportMbox(archive: Archive, file: string, filter: ArchiveFilter = {}): ExportResult {
  const result: ExportResult = { messages: 0, bytes: 0 };
  const fd = openSync(file, 'w');
  try {
    for (const message of archive.messages(filter)) {
      const text = message.raw.toString('latin1').replace(FROM_LINE, '>$1');
      const ending = text.endsWith('\n') ? '' : '\n';
      writeSync(fd, Buffer.from(`From MAILER-DAEMON ${asctime(message.internalDate)}\n${text}${ending}\n`, 'latin1'));
      result.messages++;
      result.bytes += message.raw.length;
    }
  } finally {
    closeSync(fd);
  }
  return result;
}

import { MONTHS, twoDigits } from '../date-text.js';

/**
 * A folder name as IMAP4rev1 sends it: modified UTF-7 (RFC 3501 section 5.1.3). Printable
 * ASCII stays as it is, "&" becomes "&-", and every other run of characters becomes "&" +
 * base64 of its UTF-16BE code units with "," for "/" + "-".
 */
export function encodeMailboxName(name: string): string {
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    return `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  });
}

/** An IMAP date-time (RFC 3501 section 9), in UTC: "02-Jan-2024 03:04:05 +0000". */
export function imapDateTime(date: Date): string {
  return `${twoDigits(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())} +0000`;
}

/** Whether two paths name the same folder: exact, except INBOX, which is case-insensitive (RFC 3501 section 5.1). */
export function sameFolder(a: string, b: string): boolean {
  return a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');
}

/**
 * A folder name as the server knows it: inside the personal namespace's prefix ("INBOX." on
 * Courier and older Cyrus), as imapflow sends every name it is given. Compared with LIST's
 * answers, "Drafts" is otherwise never found, and each run tries to CREATE it again.
 */
export function inPersonalNamespace(path: string, prefix: string | undefined): string {
  if (path.toUpperCase() === 'INBOX' || !prefix || path.startsWith(prefix)) return path;
  return prefix + path;
}

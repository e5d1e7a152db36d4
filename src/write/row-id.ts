/**
 * A row's `id` (RFC 5092 IMAP URL, as rows carry it:
 * imap://user@host/folder;UIDVALIDITY=n/;UID=n) back to what it names.
 */
export interface RowId {
  /** user@host, as the session names its account. */
  account: string;
  folder: string;
  uidValidity: string;
  uid: number;
}

const ROW_ID = /^imap:\/\/([^/]+)\/([^;]*);UIDVALIDITY=(\d+)\/;UID=(\d+)$/;

/** The parts of a row id, or undefined for text that is not one (or names UID 0 or above 2^32-1). */
export function parseRowId(text: string): RowId | undefined {
  const match = ROW_ID.exec(text);
  if (!match) return undefined;
  const [, authority, folder, uidValidity, uid] = match as unknown as string[];
  const number = Number(uid);
  if (!Number.isSafeInteger(number) || number < 1 || number > 4294967295) return undefined;
  try {
    return {
      account: authority!.split('@').map(decodeURIComponent).join('@'),
      folder: decodeURIComponent(folder!),
      uidValidity: uidValidity!,
      uid: number,
    };
  } catch {
    return undefined; // a broken %-escape
  }
}

/**
 * A start/end date as typed in the form: yyyymmdd (20240131) or ISO 8601 (2024-01-31, or a
 * full timestamp, of which the date part is kept since IMAP SEARCH dates have day precision,
 * RFC 3501 section 6.4.4). Returns YYYY-MM-DD, or undefined for a day that does not exist.
 */
export function parseConfigDate(text: string): string | undefined {
  const match = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(text.trim());
  if (!match) return undefined;
  const [, y, m, d] = match as unknown as [string, string, string, string];
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const valid =
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(m) - 1 &&
    date.getUTCDate() === Number(d);
  return valid ? `${y}-${m}-${d}` : undefined;
}

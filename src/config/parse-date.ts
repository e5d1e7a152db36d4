// yyyymmdd, yyyy-mm-dd, or an ISO 8601 timestamp: time of day and zone are checked, not kept.
const DATE =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/i;

/**
 * A start/end date as typed in the form: yyyymmdd (20240131) or ISO 8601 (2024-01-31, or a
 * full timestamp, of which the date part is kept since IMAP SEARCH dates have day precision,
 * RFC 3501 section 6.4.4). Returns YYYY-MM-DD, or undefined for a day that does not exist or
 * a time that does not (2024-02-29T25:00 is refused, never read as 29 February).
 */
export function parseConfigDate(text: string): string | undefined {
  const match = DATE.exec(text.trim());
  if (!match) return undefined;
  const [, y, m, d, hour = '0', minute = '0', second = '0', zoneHour = '0', zoneMinute = '0'] =
    match as unknown as string[];
  if (
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59 ||
    Number(zoneHour) > 14 ||
    Number(zoneMinute) > 59
  )
    return undefined;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  const valid =
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(m) - 1 &&
    date.getUTCDate() === Number(d);
  return valid ? `${y}-${m}-${d}` : undefined;
}

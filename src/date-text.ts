/** Month names as IMAP dates (RFC 3501 date-month) and mbox "From " lines write them. */
export const MONTHS = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;

/** A number as two digits, as times of day are written: 7 -> "07". */
export function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

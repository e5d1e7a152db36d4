/** Values inside a query: dates, sequence sets, keywords and header names. Pure functions. */
import { MONTHS } from '../date-text.js';

const LOWER_MONTHS: readonly string[] = MONTHS.map((name) => name.toLowerCase());

function isoDay(year: number, month: number, day: number): string | undefined {
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  )
    return undefined;
  return date.toISOString().slice(0, 10);
}

/** RFC 3501 date (1-Jan-2024) or ISO (2024-01-01) -> YYYY-MM-DD; undefined if not a real day. */
export function parseQueryDate(text: string): string | undefined {
  const rfc = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text);
  if (rfc) {
    const month = LOWER_MONTHS.indexOf(rfc[2]!.toLowerCase());
    return month < 0 ? undefined : isoDay(Number(rfc[3]), month + 1, Number(rfc[1]));
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return iso ? isoDay(Number(iso[1]), Number(iso[2]), Number(iso[3])) : undefined;
}

/** YYYY-MM-DD -> the RFC 3501 date-text the server expects (1-Jan-2024). */
export function toImapDate(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return `${date}-${MONTHS[month - 1]!}-${year}`;
}

/** The day after YYYY-MM-DD: an inclusive end date becomes BEFORE the next day. */
export function nextDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

// RFC 3501 sequence-set: seq-number or seq-range, comma separated; '*' is the largest in use.
const SEQ_NUMBER = '([1-9]\\d{0,9}|\\*)';
const SEQUENCE_SET = new RegExp(
  `^${SEQ_NUMBER}(:${SEQ_NUMBER})?(,${SEQ_NUMBER}(:${SEQ_NUMBER})?)*$`,
);
const MAX_UID = 4294967295;

export function isSequenceSet(text: string): boolean {
  return (
    SEQUENCE_SET.test(text) &&
    text.split(/[,:]/).every((part) => part === '*' || Number(part) <= MAX_UID)
  );
}

// RFC 3501 atom: no specials (  ( ) { SP CTL % * " \ ] ); a keyword may not be a \System flag.
export function isKeyword(text: string): boolean {
  return /^[^\s(){%*"\\\]\x00-\x1f\x7f]+$/.test(text);
}

// RFC 5322 field name: printable ASCII except colon.
export function isHeaderName(text: string): boolean {
  return /^[\x21-\x39\x3b-\x7e]+$/.test(text);
}

import { makeError } from '../errors.js';
import { nextDay, toImapDate } from './parse-value.js';
import type { Criterion } from './structured-query.js';

/** One IMAP command argument, in imapflow's compiler shape; an array is a parenthesised list. */
export type SearchAttribute =
  | { type: 'ATOM' | 'STRING' | 'LITERAL' | 'SEQUENCE'; value: string }
  | SearchAttribute[];

const atom = (value: string): SearchAttribute => ({ type: 'ATOM', value });

/**
 * A search value: quoted when it can be (RFC 3501 section 4.3), a literal when it holds a line
 * end, which a quoted string cannot carry. NUL is in neither (RFC 3501 CHAR8), so it is refused.
 * @throws QUERY_INVALID for a value with NUL.
 */
function string(value: string): SearchAttribute {
  if (value.includes('\0'))
    throw makeError(
      'QUERY_INVALID',
      `A search value may not contain a NUL character: ${JSON.stringify(value)}.`,
      { field: '/query' },
    );
  return /[\r\n]/.test(value) ? { type: 'LITERAL', value } : { type: 'STRING', value };
}

// Lookup tables, not a switch per key: each kind of key renders the same way.
const RENDER: Record<string, (c: Criterion) => SearchAttribute[]> = {
  flag: (c) => [atom(c.key)],
  string: (c) => [atom(c.key), string((c as { value: string }).value)],
  date: (c) => [atom(c.key), atom(toImapDate((c as { date: string }).date))],
  size: (c) => [atom(c.key), atom(String((c as { size: number }).size))],
  keyword: (c) => [atom(c.key), atom((c as { keyword: string }).keyword)],
  header: (c) => [
    atom('HEADER'),
    string((c as { field: string }).field),
    string((c as { value: string }).value),
  ],
  uid: (c) => [atom('UID'), { type: 'SEQUENCE', value: (c as { set: string }).set }],
  seq: (c) => [{ type: 'SEQUENCE', value: (c as { set: string }).set }],
  gmraw: (c) => [atom('X-GM-RAW'), string((c as { value: string }).value)],
  not: (c) => [atom('NOT'), ...operand((c as { operand: Criterion }).operand)],
  or: (c) => [
    atom('OR'),
    ...operand((c as { left: Criterion }).left),
    ...operand((c as { right: Criterion }).right),
  ],
  and: (c) => [(c as { operands: Criterion[] }).operands.flatMap(renderCriterion)],
};

const KIND: Record<Criterion['key'], keyof typeof RENDER> = {
  ALL: 'flag',
  ANSWERED: 'flag',
  DELETED: 'flag',
  DRAFT: 'flag',
  FLAGGED: 'flag',
  NEW: 'flag',
  OLD: 'flag',
  RECENT: 'flag',
  SEEN: 'flag',
  UNANSWERED: 'flag',
  UNDELETED: 'flag',
  UNDRAFT: 'flag',
  UNFLAGGED: 'flag',
  UNSEEN: 'flag',
  BCC: 'string',
  BODY: 'string',
  CC: 'string',
  FROM: 'string',
  SUBJECT: 'string',
  TEXT: 'string',
  TO: 'string',
  BEFORE: 'date',
  ON: 'date',
  SINCE: 'date',
  SENTBEFORE: 'date',
  SENTON: 'date',
  SENTSINCE: 'date',
  LARGER: 'size',
  SMALLER: 'size',
  KEYWORD: 'keyword',
  UNKEYWORD: 'keyword',
  HEADER: 'header',
  UID: 'uid',
  SEQ: 'seq',
  'X-GM-RAW': 'gmraw',
  NOT: 'not',
  OR: 'or',
  AND: 'and',
};

// NOT and OR take exactly one search-key each (RFC 3501 section 6.4.4): a group stays a group.
function operand(criterion: Criterion): SearchAttribute[] {
  return renderCriterion(criterion);
}

function renderCriterion(criterion: Criterion): SearchAttribute[] {
  return RENDER[KIND[criterion.key]]!(criterion);
}

function hasNonAscii(criteria: Criterion[]): boolean {
  return /[^\x00-\x7f]/.test(JSON.stringify(criteria));
}

/** Criteria -> UID SEARCH arguments, with CHARSET UTF-8 first when a value is not ASCII. */
export function toSearchAttributes(criteria: Criterion[]): SearchAttribute[] {
  const body = criteria.flatMap(renderCriterion);
  return hasNonAscii(criteria) ? [atom('CHARSET'), atom('UTF-8'), ...body] : body;
}

function isList(value: Renderable): value is readonly Renderable[] {
  return Array.isArray(value);
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => '\\' + ch)}"`;
}

/** Any command argument in imapflow's compiler shape (search arguments and what wraps them). */
type Renderable = { type: string; value: string | Uint8Array } | readonly Renderable[];

/** The arguments as a person reads them, the form the server receives for ASCII values. */
export function renderSearchText(attributes: readonly Renderable[]): string {
  return attributes
    .map((a) =>
      isList(a)
        ? `(${renderSearchText(a)})`
        : a.type === 'STRING' || a.type === 'LITERAL'
          ? quote(String(a.value))
          : String(a.value),
    )
    .join(' ');
}

/** Connection start/end dates as criteria: the end date is inclusive, so BEFORE the next day. */
export function dateRangeCriteria(
  startDate: string | undefined,
  endDate: string | undefined,
): Criterion[] {
  const criteria: Criterion[] = [];
  if (startDate) criteria.push({ key: 'SINCE', date: startDate });
  if (endDate) criteria.push({ key: 'BEFORE', date: nextDay(endDate) });
  return criteria;
}

/** True when a criterion needs the Gmail extension (X-GM-EXT-1). */
export function needsGmail(criteria: Criterion[]): boolean {
  return criteria.some((c) => {
    if (c.key === 'X-GM-RAW') return true;
    if (c.key === 'NOT') return needsGmail([c.operand]);
    if (c.key === 'OR') return needsGmail([c.left, c.right]);
    return c.key === 'AND' && needsGmail(c.operands);
  });
}

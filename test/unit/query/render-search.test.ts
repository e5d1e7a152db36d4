import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/query/parse.js';
import {
  dateRangeCriteria,
  needsGmail,
  renderSearchText,
  toSearchAttributes,
} from '../../../src/query/render-search.js';

const render = (text: string): string =>
  renderSearchText(toSearchAttributes(parseQuery(text).criteria));

describe('toSearchAttributes / renderSearchText', () => {
  it.each([
    ['ALL', 'ALL'],
    ['from a@example.com unseen', 'FROM "a@example.com" UNSEEN'],
    ['SINCE 2024-01-05 BEFORE 1-Feb-2024', 'SINCE 5-Jan-2024 BEFORE 1-Feb-2024'],
    ['OR FROM a FROM b NOT SUBJECT "Private"', 'OR FROM "a" FROM "b" NOT SUBJECT "Private"'],
    ['OR (FROM a SEEN) FLAGGED', 'OR (FROM "a" SEEN) FLAGGED'],
    ['NOT (OR SEEN FLAGGED)', 'NOT OR SEEN FLAGGED'],
    ['NOT (SEEN FLAGGED)', 'NOT (SEEN FLAGGED)'],
    [
      'HEADER X-Spam "yes" KEYWORD $Junk LARGER 100',
      'HEADER "X-Spam" "yes" KEYWORD $Junk LARGER 100',
    ],
    ['UID 5:* 1:3', 'UID 5:* 1:3'],
    ['SUBJECT "a \\"b\\" \\\\ c"', 'SUBJECT "a \\"b\\" \\\\ c"'],
    ['SUBJECT Überweisung', 'CHARSET UTF-8 SUBJECT "Überweisung"'],
    ['X-GM-RAW "has:attachment"', 'X-GM-RAW "has:attachment"'],
  ])('%j -> %s', (query, expected) => {
    expect(render(query)).toBe(expected);
  });

  it('sends strings as STRING attributes, so imapflow quotes or literals them safely', () => {
    expect(toSearchAttributes(parseQuery('FROM "a b"').criteria)).toEqual([
      { type: 'ATOM', value: 'FROM' },
      { type: 'STRING', value: 'a b' },
    ]);
  });
});

describe('dateRangeCriteria', () => {
  it('turns an inclusive end date into BEFORE the next day, also across months and leap days', () => {
    expect(dateRangeCriteria('2024-01-01', '2024-02-29')).toEqual([
      { key: 'SINCE', date: '2024-01-01' },
      { key: 'BEFORE', date: '2024-03-01' },
    ]);
    expect(dateRangeCriteria(undefined, '2023-12-31')).toEqual([
      { key: 'BEFORE', date: '2024-01-01' },
    ]);
    expect(dateRangeCriteria(undefined, undefined)).toEqual([]);
  });
});

describe('needsGmail', () => {
  it('spots X-GM-RAW anywhere in the criteria', () => {
    expect(needsGmail(parseQuery('OR SEEN NOT X-GM-RAW "a"').criteria)).toBe(true);
    expect(needsGmail(parseQuery('SUBJECT "X-GM-RAW"').criteria)).toBe(false);
  });
});

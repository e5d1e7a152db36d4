import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../../src/query/parse.js';
import type { Criterion } from '../../../src/query/structured-query.js';

const criteria = (text: string): Criterion[] => parseQuery(text).criteria;

describe('parseQuery', () => {
  it.each([
    ['ALL', [{ key: 'ALL' }]],
    [
      'answered DELETED Draft flagged NEW old RECENT seen',
      ['ANSWERED', 'DELETED', 'DRAFT', 'FLAGGED', 'NEW', 'OLD', 'RECENT', 'SEEN'].map((key) => ({
        key,
      })),
    ],
    [
      'UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN',
      ['UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN'].map((key) => ({ key })),
    ],
    [
      'FROM a@example.com TO "Bob Smith" CC c BCC d',
      [
        { key: 'FROM', value: 'a@example.com' },
        { key: 'TO', value: 'Bob Smith' },
        { key: 'CC', value: 'c' },
        { key: 'BCC', value: 'd' },
      ],
    ],
    [
      'SUBJECT "say \\"hi\\"" BODY "C:\\\\temp" TEXT x',
      [
        { key: 'SUBJECT', value: 'say "hi"' },
        { key: 'BODY', value: 'C:\\temp' },
        { key: 'TEXT', value: 'x' },
      ],
    ],
    [
      'SINCE 1-Jan-2024 BEFORE 2024-02-29 ON 09-feb-2024',
      [
        { key: 'SINCE', date: '2024-01-01' },
        { key: 'BEFORE', date: '2024-02-29' },
        { key: 'ON', date: '2024-02-09' },
      ],
    ],
    [
      'SENTSINCE 2024-01-01 SENTBEFORE "2-Jan-2024" SENTON 2024-01-03',
      [
        { key: 'SENTSINCE', date: '2024-01-01' },
        { key: 'SENTBEFORE', date: '2024-01-02' },
        { key: 'SENTON', date: '2024-01-03' },
      ],
    ],
    [
      'LARGER 1 SMALLER 1048576',
      [
        { key: 'LARGER', size: 1 },
        { key: 'SMALLER', size: 1048576 },
      ],
    ],
    [
      'KEYWORD $Important UNKEYWORD NonJunk',
      [
        { key: 'KEYWORD', keyword: '$Important' },
        { key: 'UNKEYWORD', keyword: 'NonJunk' },
      ],
    ],
    [
      'HEADER X-Mailer "Outlook" HEADER List-Id ""',
      [
        { key: 'HEADER', field: 'X-Mailer', value: 'Outlook' },
        { key: 'HEADER', field: 'List-Id', value: '' },
      ],
    ],
    [
      'UID 1:100,205,300:* 1:5',
      [
        { key: 'UID', set: '1:100,205,300:*' },
        { key: 'SEQ', set: '1:5' },
      ],
    ],
    ['NOT SEEN', [{ key: 'NOT', operand: { key: 'SEEN' } }]],
    [
      'OR FROM a FROM b',
      [{ key: 'OR', left: { key: 'FROM', value: 'a' }, right: { key: 'FROM', value: 'b' } }],
    ],
    [
      'OR (FROM a SEEN) NOT (FLAGGED)',
      [
        {
          key: 'OR',
          left: { key: 'AND', operands: [{ key: 'FROM', value: 'a' }, { key: 'SEEN' }] },
          right: { key: 'NOT', operand: { key: 'FLAGGED' } },
        },
      ],
    ],
    ['((SEEN))', [{ key: 'SEEN' }]],
    ['X-GM-RAW "has:attachment in:inbox"', [{ key: 'X-GM-RAW', value: 'has:attachment in:inbox' }]],
    ['FROM\n"a"\r\n  SEEN', [{ key: 'FROM', value: 'a' }, { key: 'SEEN' }]],
    ['SUBJECT "Überweisung 💶"', [{ key: 'SUBJECT', value: 'Überweisung 💶' }]],
  ] as [string, Criterion[]][])('parses %j', (text, expected) => {
    expect(criteria(text)).toEqual(expected);
  });

  it('collects FOLDER / IN, EXCLUDE and LIMIT anywhere at the top level', () => {
    expect(
      parseQuery(
        'FOLDER INBOX UNSEEN in "Archive/*" EXCLUDE Trash exclude "%/Spam" LIMIT 10 IN \\Sent',
      ),
    ).toEqual({
      criteria: [{ key: 'UNSEEN' }],
      folders: { include: ['INBOX', 'Archive/*', '\\Sent'], exclude: ['Trash', '%/Spam'] },
      limit: 10,
    });
  });

  // Each malformed query: [text, line, column, part of the message].
  const MALFORMED: [string, number, number, string][] = [
    ['', 1, 1, 'write ALL to read every message'],
    ['   \n  ', 1, 1, 'write ALL'],
    ['FOLDER INBOX', 1, 1, 'has no search key'],
    ['SINCE yesterday', 1, 7, 'expected a date after SINCE, got "yesterday"'],
    ['FROM "a" SINCE 32-Jan-2024', 1, 16, 'expected a date after SINCE'],
    ['BEFORE 2024-02-30', 1, 8, 'expected a date after BEFORE'],
    ['ON 2024-13-01', 1, 4, 'expected a date after ON'],
    ['SENTON 1-Foo-2024', 1, 8, 'expected a date after SENTON'],
    ['SINCE', 1, 6, 'expected a date after SINCE, got the end of the query'],
    ['FROM', 1, 5, 'expected a string after FROM, got the end of the query'],
    ['FROM ""', 1, 6, 'expected a non-empty string after FROM'],
    ['SUBJECT (x)', 1, 9, 'expected a string after SUBJECT, got "("'],
    ['LARGER 0', 1, 8, 'expected a size of at least 1 byte after LARGER'],
    ['SMALLER -5', 1, 9, 'expected a size of at least 1 byte after SMALLER'],
    ['LARGER 10k', 1, 8, 'expected a size of at least 1 byte after LARGER, got "10k"'],
    ['KEYWORD', 1, 8, 'expected a keyword after KEYWORD'],
    ['KEYWORD \\Seen', 1, 9, 'expected a keyword (an atom such as $Important) after KEYWORD'],
    ['HEADER "Bad Name" x', 1, 8, 'expected a header field name after HEADER'],
    ['HEADER Subject', 1, 15, 'expected a string after HEADER Subject'],
    ['UID', 1, 4, 'expected a UID set after UID'],
    ['UID 0:5', 1, 5, 'expected a UID set such as 1:100,205 after UID, got "0:5"'],
    ['UID 1,,2', 1, 5, 'expected a UID set'],
    ['NOT', 1, 4, 'expected a search key, got the end of the query'],
    ['OR SEEN', 1, 8, 'expected a search key, got the end of the query'],
    ['(SEEN', 1, 6, 'expected ")" to close the "(" at line 1, column 1'],
    ['SEEN)', 1, 5, 'got ")" without a matching "("'],
    ['()', 1, 2, 'expected a search key inside "( )"'],
    ['"just text"', 1, 1, 'put a key such as TEXT before it'],
    ['FRMO a', 1, 1, 'expected a search key such as FROM, SINCE or UNSEEN, got "FRMO"'],
    ['SEEN\nFLAGGED\n  BOGUS', 3, 3, 'got "BOGUS"'],
    ['SUBJECT "unterminated', 1, 9, 'not closed with "'],
    ['SUBJECT "line\nbreak"', 1, 9, 'must end on the line it starts'],
    ['SUBJECT "bad \\n escape"', 1, 14, 'only \\" and \\\\ may follow a backslash'],
    ['NOT FOLDER INBOX', 1, 5, 'FOLDER applies to the whole query'],
    ['OR LIMIT 1 SEEN', 1, 4, 'LIMIT applies to the whole query'],
    ['(SEEN EXCLUDE Trash)', 1, 7, 'EXCLUDE applies to the whole query'],
    ['ALL LIMIT 0', 1, 11, 'expected a number of at least 1 after LIMIT'],
    ['ALL LIMIT 5 LIMIT 6', 1, 13, 'LIMIT is given twice'],
    ['ALL FOLDER ""', 1, 12, 'expected a folder name or pattern after FOLDER, got ""'],
    ['ALL EXCLUDE', 1, 12, 'expected a folder name or pattern after EXCLUDE'],
    ['X-GM-RAW ""', 1, 10, 'expected a non-empty string after X-GM-RAW'],
    ['NOT '.repeat(150) + 'SEEN', 1, 401, 'nests deeper than 100 levels'],
  ];

  it(`gives a positioned message for each of ${MALFORMED.length} malformed queries`, () => {
    expect(MALFORMED.length).toBeGreaterThanOrEqual(30);
  });

  it.each(MALFORMED)('refuses %j at line %i, column %i', (text, line, column, fragment) => {
    let caught: unknown;
    try {
      parseQuery(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({
      code: 'QUERY_INVALID',
      position: { line, column },
      field: '/query',
    });
    expect((caught as Error).message).toContain(`line ${line}, column ${column}: `);
    expect((caught as Error).message).toContain(fragment);
  });
});

import { describe, expect, it } from 'vitest';
import { parseMailboxCsv } from '../../../src/batch/mailbox-csv.js';
import { isConnectorError } from '../../../src/index.js';

const SECRET = 'S3cret-Pass!';

/** The issues of a list that must be refused. */
function issuesOf(
  text: string,
): { field: string; message: string; position?: { line: number; column: number } }[] {
  try {
    parseMailboxCsv(text);
  } catch (error) {
    if (isConnectorError(error) && error.code === 'CONFIG_INVALID')
      return (error.details as { issues: never[] }).issues;
    throw error;
  }
  throw new Error('expected the list to be refused');
}

describe('parseMailboxCsv layouts', () => {
  it("reads the hosting panel's headerless five columns", () => {
    expect(
      parseMailboxCsv(`old.example.com;alice;${SECRET};alice@new.example;Newpass-12345\n`),
    ).toEqual([
      expect.objectContaining({
        line: 1,
        sourceServer: 'old.example.com',
        sourceUser: 'alice',
        sourcePassword: SECRET,
        destinationMailbox: 'alice@new.example',
        destinationPassword: 'Newpass-12345',
      }),
    ]);
  });

  it.each([
    ['email,password', `a@x.org,${SECRET}\nb@x.org,p2`],
    ['email;password', `a@x.org;${SECRET}\nb@x.org;p2`],
    ['email|password', `a@x.org|${SECRET}\nb@x.org|p2`],
    ['email<TAB>password', `a@x.org\t${SECRET}\nb@x.org\tp2`],
    ['email:password', `a@x.org:${SECRET}\nb@x.org:p2`],
    ['CRLF line ends', `a@x.org,${SECRET}\r\nb@x.org,p2\r\n`],
    [
      'a BOM, comments and blank lines',
      `\uFEFF# users\n\na@x.org,${SECRET}\n  \n# more\nb@x.org,p2\n`,
    ],
    ['double quotes, doubled inside', `"a@x.org","${SECRET}"\n"b@x.org","p2"`],
    ['single quotes', `'a@x.org';'${SECRET}'\n'b@x.org';'p2'`],
  ])('reads %s', (_name, text) => {
    expect(parseMailboxCsv(text).map((e) => [e.sourceUser, e.sourcePassword])).toEqual([
      ['a@x.org', SECRET],
      ['b@x.org', 'p2'],
    ]);
  });

  it('keeps separators and quotes inside quoted fields, and colons in email:password passwords', () => {
    expect(parseMailboxCsv('"a@x.org";"p;w""x"\n')[0]!.sourcePassword).toBe('p;w"x');
    expect(parseMailboxCsv('a@x.org:pa:ss:word\n')[0]!.sourcePassword).toBe('pa:ss:word');
    expect(parseMailboxCsv('a@x.org,pass#word\n')[0]!.sourcePassword).toBe('pass#word');
  });

  it.each([
    ['IMAP server;IMAP username;IMAP password;Mailbox;Password'],
    ['imap_server,imap_username,imap_password,mailbox,mailbox_password'],
    ['Server|User|Pass|New mailbox|New password'],
  ])('matches the header %s loosely', (header) => {
    const delimiter = header.includes('|') ? '|' : header.includes(',') ? ',' : ';';
    const row = ['old.example.com', 'bob', SECRET, 'bob@new.example', 'Newpass-12345'].join(
      delimiter,
    );
    expect(parseMailboxCsv(`${header}\n${row}\n`)).toEqual([
      expect.objectContaining({
        line: 2,
        sourceServer: 'old.example.com',
        sourceUser: 'bob',
        sourcePassword: SECRET,
        destinationMailbox: 'bob@new.example',
        destinationPassword: 'Newpass-12345',
      }),
    ]);
  });

  it('reads the quote doubled inside single quotes as the quote, as inside double quotes', () => {
    expect(parseMailboxCsv(`'a@x.org';'it''s-${SECRET}'\n`)[0]!.sourcePassword).toBe(
      `it's-${SECRET}`,
    );
    expect(parseMailboxCsv(`"a@x.org";"say ""hi""-${SECRET}"\n`)[0]!.sourcePassword).toBe(
      `say "hi"-${SECRET}`,
    );
  });

  it.each([
    ['IMAP-Benutzername;IMAP-Passwort', ';'],
    ['Benutzername;Passwort;Postfach;Postfach-Passwort', ';'],
    ['mail_address:password', ':'],
    ['E-Mail-Adresse,Kennwort', ','],
  ])('reads the header %s (the words of the products in English and German)', (header, d) => {
    const cells = header.split(d).length;
    const row = ['bob@x.org', SECRET, 'bob@new.example', 'Newpass-12345'].slice(0, cells).join(d);
    const [entry] = parseMailboxCsv(`${header}\n${row}\n`);
    expect(entry).toMatchObject({ line: 2, sourceUser: 'bob@x.org', sourcePassword: SECRET });
    if (cells === 4)
      expect(entry).toMatchObject({
        destinationMailbox: 'bob@new.example',
        destinationPassword: 'Newpass-12345',
      });
  });

  it('reads a token per mailbox instead of a password (Access token, Refresh token columns)', () => {
    expect(
      parseMailboxCsv(
        `E-mail address;Access token;Refresh token\na@x.org;${SECRET};\nb@x.org;;rt-${SECRET}\n`,
      ),
    ).toEqual([
      expect.objectContaining({ sourceUser: 'a@x.org', sourceToken: SECRET }),
      expect.objectContaining({ sourceUser: 'b@x.org', sourceRefreshToken: `rt-${SECRET}` }),
    ]);
    const issues = issuesOf(`E-mail address;Token\na@x.org;\n`);
    expect(issues.map((i) => i.message)).toEqual(['line 2, column 2: the token is empty']);
  });

  it('reads "User;E-mail address;Password;Owner" with columns in any order', () => {
    expect(
      parseMailboxCsv(`Owner;Password;E-mail address;User\nBob B.;${SECRET};bob@new;bob\n`),
    ).toEqual([
      expect.objectContaining({
        owner: 'Bob B.',
        sourcePassword: SECRET,
        destinationMailbox: 'bob@new',
        sourceUser: 'bob',
      }),
    ]);
    expect(parseMailboxCsv(`E-mail address,IMAP password\nbob@x.org,${SECRET}\n`)[0]).toMatchObject(
      {
        sourceUser: 'bob@x.org',
      },
    );
  });
});

describe('parseMailboxCsv refuses', () => {
  const cases: [string, string, RegExp, number?][] = [
    ['an empty file', '', /holds no mailbox/],
    ['only comments', '# nothing\n\n', /holds no mailbox/],
    ['a header and no rows', 'IMAP username;IMAP password\n', /holds no mailbox/],
    ['one column', 'alice\n', /no separator/, 1],
    ['three columns without header', 'a;b;c\n', /3 fields and no header row/, 1],
    ['four columns without header', 'a;b;c;d\n', /4 fields and no header row/, 1],
    [
      'a header in words it does not know, instead of a mailbox whose password is "Kennwort"',
      `Konto;Geheimes Kennwort\nbob@x.org;${SECRET}\n`,
      /line 1 looks like a header row/,
      1,
    ],
    [
      'a header of one known word',
      `Mail-Konto;Passwort-Feld\nbob@x.org;${SECRET}\n`,
      /line 1 looks like a header row/,
      1,
    ],
    ['six columns without header', 'a;b;c;d;e;f\n', /6 fields and no header row/, 1],
    [
      'a short row',
      `a@x.org;${SECRET}\nb@x.org\n`,
      /line 2, column 2: 1 fields, but the file has 2 columns/,
      2,
    ],
    ['a long row', `a@x.org;${SECRET}\nb@x.org;p;extra\n`, /line 2, column 3: 3 fields/, 2],
    ['an empty user', `;${SECRET}\n`, /line 1, column 1: the user name is empty/, 1],
    ['an empty password', 'a@x.org;\n', /line 1, column 2: the password is empty/, 1],
    [
      'empty user and password in the panel layout',
      'srv;;;mb;Newpass-12345\n',
      /the user name is empty/,
      1,
    ],
    ['an unclosed quote', `"a@x.org;${SECRET}\n`, /a quoted field is not closed/, 1],
    [
      'an unclosed quote on line 3',
      `a@x.org;p1\nb@x.org;p2\n"c@x.org;p3\n`,
      /line 3: a quoted field is not closed/,
      3,
    ],
    [
      'a control character in the user',
      `a\u0007b;${SECRET}\n`,
      /line 1, column 1: sourceUser holds a control character/,
      1,
    ],
    [
      'a control character in the password',
      `a@x.org;pa\u0001ss\n`,
      /line 1, column 2: sourcePassword holds a control character/,
      1,
    ],
    ['a user longer than 512', `${'u'.repeat(513)};${SECRET}\n`, /longer than 512/, 1],
    [
      'a bad server',
      `bad server!;a;${SECRET};m;Newpass-12345\n`,
      /line 1, column 1: IMAP server "bad server!" is not a host name/,
      1,
    ],
    [
      'a server URL with a bad port',
      `imap://host:99999;a;${SECRET};m;Newpass-12345\n`,
      /IMAP server/,
      1,
    ],
    ['a server with a path', `imaps://host/path;a;${SECRET};m;Newpass-12345\n`, /IMAP server/, 1],
    ['the same mailbox twice', `a@x.org;p1\nA@X.org;p2\n`, /line 2: the same mailbox as line 1/, 2],
    [
      'an unknown header',
      `IMAP username;IMAP password;Favourite colour\nb;${SECRET};blue\n`,
      /line 1, column 3: unknown column "Favourite colour"/,
      1,
    ],
    [
      'a header without a user column',
      `IMAP password;Owner\n${SECRET};Bob\n`,
      /names no user column/,
      1,
    ],
    [
      'a header row then short rows',
      `IMAP username;IMAP password;Owner\nbob;${SECRET}\n`,
      /line 2, column 3: 2 fields, but the file has 3 columns/,
      2,
    ],
    ['email:password with an empty password', 'a@x.org:\n', /the password is empty/, 1],
    ['email:password with no user', `:${SECRET}\n`, /the user name is empty/, 1],
    ['a NUL in a field', `a@x.org;p\u0000w\n`, /control character/, 1],
    ['a tab-separated short row', `a@x.org\t${SECRET}\nb@x.org\n`, /line 2/, 2],
    ['a pipe-separated long row', `a|${SECRET}\nb|p|q\n`, /line 2/, 2],
    ['a BOM then a short row', `\uFEFFa@x.org,${SECRET}\nb\n`, /line 2/, 2],
    ['a quoted empty user', `"";"${SECRET}"\n`, /the user name is empty/, 1],
    ['a quoted empty password', `"a@x.org";""\n`, /the password is empty/, 1],
    ['single quotes left open', `'a@x.org';'${SECRET}\n`, /not closed/, 1],
    [
      'a duplicate in the panel layout',
      `s;a;${SECRET};m;Newpass-12345\ns;a;${SECRET};m;Newpass-12345\n`,
      /same mailbox as line 1/,
      2,
    ],
    ['a row after comments, too short', `# header comment\n\na@x.org;${SECRET}\nb\n`, /line 4/, 4],
    [
      'a server with spaces in the panel layout',
      `my host;a;${SECRET};m;Newpass-12345\n`,
      /IMAP server/,
      1,
    ],
    [
      'a header with two unknown columns',
      `User;Password;Colour;Size\na;${SECRET};b;c\n`,
      /unknown column "Colour"[\s\S]*|unknown column/,
      1,
    ],
    [
      'an owner with a control character',
      `User;Password;Owner\na;${SECRET};Bo\u0008b\n`,
      /owner holds a control character/,
      2,
    ],
    [
      'a mailbox with a control character',
      `s;a;${SECRET};m\u0002b;Newpass-12345\n`,
      /destinationMailbox holds a control character/,
      1,
    ],
    [
      'a server longer than 512',
      `${'h'.repeat(600)};a;${SECRET};m;Newpass-12345\n`,
      /longer than 512/,
      1,
    ],
    [
      'three rows, the middle one broken',
      `a;${SECRET}\n;${SECRET}\nc;${SECRET}\n`,
      /line 2, column 1: the user name is empty/,
      2,
    ],
  ];

  it(`has at least 40 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s', (_name, text, message, line) => {
    const issues = issuesOf(text);
    expect(issues.map((i) => i.message).join('\n')).toMatch(message);
    if (line !== undefined) expect(issues.some((i) => i.position?.line === line)).toBe(true);
    // Never a password in what is reported.
    expect(JSON.stringify(issues)).not.toContain(SECRET);
  });

  it('lists every problem of a file at once', () => {
    const issues = issuesOf(`;${SECRET}\nb@x.org;\nc@x.org;${SECRET};x\n`);
    expect(issues.map((i) => i.position?.line)).toEqual([1, 2, 3]);
  });
});

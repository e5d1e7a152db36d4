/**
 * The header row of a mailbox list: which column each cell names, matched loosely in the
 * words of the products a list comes from (English and German), and a first row of words
 * that names no known layout told apart from data.
 */
import type { Issue } from '../errors.js';

export type Column =
  | 'sourceServer'
  | 'sourceUser'
  | 'sourcePassword'
  | 'sourceToken'
  | 'sourceRefreshToken'
  | 'destinationMailbox'
  | 'destinationPassword'
  | 'owner'
  | 'archiveUser';

export const SECRET_COLUMNS: readonly Column[] = [
  'sourcePassword',
  'sourceToken',
  'sourceRefreshToken',
  'destinationPassword',
];

// Header names, lower-cased with everything but letters and digits removed.
const HEADER_NAMES: Record<string, Column> = {
  imapserver: 'sourceServer',
  server: 'sourceServer',
  host: 'sourceServer',
  hostname: 'sourceServer',
  imaphost: 'sourceServer',
  sourceserver: 'sourceServer',
  oldserver: 'sourceServer',
  imapusername: 'sourceUser',
  imapuser: 'sourceUser',
  imaplogin: 'sourceUser',
  username: 'sourceUser',
  user: 'sourceUser',
  login: 'sourceUser',
  account: 'sourceUser',
  sourceuser: 'sourceUser',
  imappassword: 'sourcePassword',
  sourcepassword: 'sourcePassword',
  oldpassword: 'sourcePassword',
  pass: 'sourcePassword',
  // A token per mailbox instead of a password (a panel's "token" source).
  token: 'sourceToken',
  accesstoken: 'sourceToken',
  oauthtoken: 'sourceToken',
  oauth2token: 'sourceToken',
  oauth2accesstoken: 'sourceToken',
  imaptoken: 'sourceToken',
  refreshtoken: 'sourceRefreshToken',
  oauth2refreshtoken: 'sourceRefreshToken',
  mailbox: 'destinationMailbox',
  destination: 'destinationMailbox',
  destinationmailbox: 'destinationMailbox',
  targetmailbox: 'destinationMailbox',
  newmailbox: 'destinationMailbox',
  mailboxpassword: 'destinationPassword',
  destinationpassword: 'destinationPassword',
  targetpassword: 'destinationPassword',
  newpassword: 'destinationPassword',
  owner: 'owner',
  name: 'owner',
  fullname: 'owner',
  displayname: 'owner',
  label: 'owner',
  // MailStore's batch archiving CSV: the archive user an account's mail goes to.
  mailstoreusername: 'archiveUser',
  mailstoreuser: 'archiveUser',
  archiveuser: 'archiveUser',
  archiveusername: 'archiveUser',
  archivbenutzer: 'archiveUser',
  mailstorebenutzername: 'archiveUser',
  // German, as the products' German interfaces export them.
  imapbenutzername: 'sourceUser',
  imapbenutzer: 'sourceUser',
  benutzername: 'sourceUser',
  benutzer: 'sourceUser',
  anmeldename: 'sourceUser',
  imappasswort: 'sourcePassword',
  imapkennwort: 'sourcePassword',
  altespasswort: 'sourcePassword',
  postfach: 'destinationMailbox',
  zielpostfach: 'destinationMailbox',
  neuespostfach: 'destinationMailbox',
  postfachpasswort: 'destinationPassword',
  postfachkennwort: 'destinationPassword',
  neuespasswort: 'destinationPassword',
  imapserveradresse: 'sourceServer',
  besitzer: 'owner',
  inhaber: 'owner',
  anzeigename: 'owner',
};
// Names whose meaning depends on what else is there: "Password" after "IMAP password" is the
// new mailbox's; "E-mail address" beside "User" is the destination mailbox.
const PASSWORD_NAMES = new Set(['password', 'passwort', 'kennwort', 'pw']);
const EMAIL_NAMES = new Set([
  'email',
  'emailaddress',
  'mail',
  'mailaddress',
  'emailadresse',
  'mailadresse',
]);
// Words a header cell has and a data cell has not: a first row with them that names fewer than
// two known columns is refused, not taken as a mailbox whose password is "password".
const HEADER_WORDS =
  /pass|kennwort|user|benutzer|login|anmelde|mail|server|host|owner|name|postfach|konto|account/;

const normalize = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Header cells -> columns, or undefined when the row is data (fewer than two known names). */
export function headerColumns(
  cells: string[],
  issues: Issue[],
  line: number,
): Column[] | undefined {
  const names = cells.map(normalize);
  const known = names.filter(
    (n) => n in HEADER_NAMES || PASSWORD_NAMES.has(n) || EMAIL_NAMES.has(n),
  );
  if (known.length < 2) {
    if (looksLikeHeader(cells))
      issues.push({
        field: '/mailboxes/csv',
        position: { line, column: 1 },
        message: `line ${line} looks like a header row (${cells.map((cell) => JSON.stringify(cell.slice(0, 30))).join(', ')}) but names fewer than two known columns; known are IMAP server, IMAP username, IMAP password, Mailbox, Mailbox password, Owner, E-mail address, Password and their usual spellings (also German: IMAP-Benutzername, IMAP-Passwort, Postfach, ...)`,
      });
    return undefined;
  }
  const direct = names.map((n) => HEADER_NAMES[n]);
  const has = (column: Column): boolean => direct.includes(column);
  return names.map((name, index) => {
    const column = direct[index];
    if (column) return column;
    if (PASSWORD_NAMES.has(name))
      return has('sourcePassword') ? 'destinationPassword' : 'sourcePassword';
    if (EMAIL_NAMES.has(name)) return has('sourceUser') ? 'destinationMailbox' : 'sourceUser';
    issues.push({
      field: '/mailboxes/csv',
      position: { line, column: index + 1 },
      message: `line ${line}, column ${index + 1}: unknown column ${JSON.stringify(cells[index]!.slice(0, 40))}; known are IMAP server, IMAP username, IMAP password, Mailbox, Mailbox password, Owner and their usual spellings`,
    });
    return 'owner';
  });
}

/** A first row of words and no address or host: the header of a layout not known. */
function looksLikeHeader(cells: string[]): boolean {
  return (
    cells.every((cell) => !cell.includes('@') && !cell.includes('.') && !/\d/.test(cell)) &&
    cells.some((cell) => HEADER_WORDS.test(normalize(cell)))
  );
}

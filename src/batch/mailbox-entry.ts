/** One mailbox of a batch: where it is read from and where it goes, from a CSV row or a user list. */
export interface MailboxEntry {
  /** Line of the CSV file (or of the users file) it came from; 0 for an inline list. */
  line: number;
  /** Stable identity across runs: source server and user, and the destination mailbox. */
  key: string;
  /** A CSV row's own source server; else the profile's. */
  sourceServer?: string;
  sourceUser: string;
  /** Missing for master-user batches (the master's password is used), and with a token. */
  sourcePassword?: string;
  /** An OAuth2 access token for the source login (XOAUTH2 / OAUTHBEARER) instead of a password. */
  sourceToken?: string;
  /** An OAuth2 refresh token, exchanged at the profile's oauth2.tokenUrl for access tokens. */
  sourceRefreshToken?: string;
  /** The destination mailbox (login); defaults to the source user. */
  destinationMailbox?: string;
  destinationPassword?: string;
  /** A label for reports and the archive (the Owner column). */
  owner?: string;
  /** The archive user the mailbox's mail goes to (MailStore's "MailStore user name"). */
  archiveUser?: string;
}

/** The identity of an entry: the same mailbox listed twice is one mailbox. */
export function entryKey(entry: Omit<MailboxEntry, 'key' | 'line'>): string {
  return JSON.stringify([
    (entry.sourceServer ?? '').toLowerCase(),
    entry.sourceUser.toLowerCase(),
    (entry.destinationMailbox ?? entry.sourceUser).toLowerCase(),
  ]);
}

/** A folder as a host shows it: names are Unicode (imapflow decodes modified UTF-7, RFC 3501 section 5.1.3). */
export interface FolderInfo {
  path: string;
  name: string;
  delimiter: string;
  /** RFC 6154 special use, such as \Sent, or null. */
  specialUse: string | null;
  /**
   * Whether the server said so (SPECIAL-USE or XLIST), rather than imapflow guessing it from the
   * name: a guess can change between runs (a folder the import itself created named "Sent").
   */
  specialUseFromServer: boolean;
  flags: string[];
  subscribed: boolean;
}

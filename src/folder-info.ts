/** A folder as a host shows it: names are Unicode (imapflow decodes modified UTF-7, RFC 3501 section 5.1.3). */
export interface FolderInfo {
  path: string;
  name: string;
  delimiter: string;
  /** RFC 6154 special use, such as \Sent, or null. */
  specialUse: string | null;
  flags: string[];
  subscribed: boolean;
}

import type { FolderInfo } from '../folder-info.js';

export interface FolderMapOptions {
  /** Put every folder under this one ("Imported"); a trailing delimiter is optional. */
  prefix?: string | undefined;
  /** Source path -> destination path, checked first and used as written. */
  mapping?: Readonly<Record<string, string>> | undefined;
  /**
   * The source's sent items folder when the server does not mark it \Sent (RFC 6154): it goes
   * where the destination keeps sent mail, as a marked one would.
   */
  sentFolder?: string | undefined;
}

/** The part of a destination's folder list that mapping needs. */
export interface DestinationFolders {
  delimiter: string;
  /** Existing folders, for special-use matching (RFC 6154); empty for a store without them. */
  folders: readonly Pick<FolderInfo, 'path' | 'specialUse' | 'specialUseFromServer'>[];
}

// Mapped names must not split into levels the source did not have.
const replaceDelimiter = (segment: string, delimiter: string): string =>
  delimiter === '' ? segment : segment.split(delimiter).join('_');

/**
 * Where a source folder goes: the mapping table if it names the folder; the destination's
 * folder of the same special use (the source's \Sent into the target's \Sent, whatever each
 * calls it); else the same name, levels re-joined with the destination's delimiter. A prefix
 * puts all of it one level down. INBOX is case-insensitive (RFC 3501 section 5.1), so it is
 * written INBOX.
 */
export function mapFolder(
  source: Pick<FolderInfo, 'path' | 'delimiter' | 'specialUse'>,
  destination: DestinationFolders,
  options: FolderMapOptions = {},
): string {
  const mapped = options.mapping?.[source.path];
  if (mapped !== undefined) return mapped;
  const delimiter = destination.delimiter;
  let segments: string[];
  // Only a special use the target server declares: imapflow guesses one from names, and a
  // guess on a folder this import created ("Mig/Sent") sent later runs to Mig/Mig/Sent (issue 9).
  const specialUse =
    source.specialUse ?? (options.sentFolder === source.path ? '\\Sent' : undefined);
  const sameUse = specialUse
    ? destination.folders.find(
        (folder) => folder.specialUseFromServer && folder.specialUse === specialUse,
      )
    : undefined;
  if (sameUse) segments = [sameUse.path];
  else {
    const parts = source.delimiter ? source.path.split(source.delimiter) : [source.path];
    segments = parts.map((part) => replaceDelimiter(part, delimiter));
    if (segments[0]?.toUpperCase() === 'INBOX') segments[0] = 'INBOX';
  }
  const prefix = options.prefix?.replace(/[/.\\]+$/, '');
  if (prefix) segments.unshift(prefix);
  return segments.join(delimiter || '/');
}

/** "Source=Target" entries (a CLI flag, a CSV column) -> a mapping table; the first "=" splits, so a target name may hold one. */
export function parseFolderMapping(entries: readonly string[]): {
  mapping: Record<string, string>;
  errors: string[];
} {
  const mapping: Record<string, string> = {};
  const errors: string[] = [];
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const from = at > 0 ? entry.slice(0, at).trim() : '';
    const to = at > 0 ? entry.slice(at + 1).trim() : '';
    if (from === '' || to === '')
      errors.push(`folder mapping ${JSON.stringify(entry)} must be written Source=Target`);
    else mapping[from] = to;
  }
  return { mapping, errors };
}

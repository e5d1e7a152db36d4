import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import type { StructuredQuery } from './structured-query.js';

/** Which folders a query reads, in the order it reads them. */
export interface FolderPlan {
  folders: FolderInfo[];
  /** Wildcard patterns that matched no folder: not an error, but worth telling (unmatchedWarning). */
  unmatched: string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** RFC 3501 section 6.3.8 LIST wildcards: * matches anything, % anything but the separator. */
function toMatcher(pattern: string, delimiter: string): (folder: FolderInfo) => boolean {
  if (pattern.startsWith('\\'))
    return (folder) => folder.specialUse?.toLowerCase() === pattern.toLowerCase();
  const body = pattern
    .split('')
    .map((ch) =>
      ch === '*' ? '.*' : ch === '%' ? `[^${escapeRegExp(delimiter || '/')}]*` : escapeRegExp(ch),
    )
    .join('');
  const regex = new RegExp(`^${body}$`);
  // INBOX is case-insensitive (RFC 3501 section 5.1); other names are not.
  const inbox = /^inbox$/i.test(pattern);
  return (folder) => (inbox ? folder.path.toUpperCase() === 'INBOX' : regex.test(folder.path));
}

const isWildcard = (pattern: string): boolean => /[*%]/.test(pattern);

/**
 * The folder patterns a read uses: the query's FOLDER/IN patterns, else the connection's
 * include list (empty: every folder); the query's EXCLUDE patterns plus the connection's.
 */
export function folderSelection(
  query: StructuredQuery,
  connection: { foldersInclude: string[]; foldersExclude: string[] },
): StructuredQuery['folders'] {
  return {
    include: query.folders.include.length > 0 ? query.folders.include : connection.foldersInclude,
    exclude: [...query.folders.exclude, ...connection.foldersExclude],
  };
}

/**
 * Folders to read: the selectable folders the include patterns match (all when there are
 * none), minus those an exclude pattern matches, in listing order.
 * @throws FOLDER_NOT_FOUND when a folder named without wildcards does not exist.
 */
export function planFolders(
  all: FolderInfo[],
  { include, exclude }: StructuredQuery['folders'],
): FolderPlan {
  const selectable = all.filter(
    (f) => !f.flags.some((flag) => /^\\(Noselect|NonExistent)$/i.test(flag)),
  );
  const delimiter = all[0]?.delimiter ?? '/';
  const unmatched: string[] = [];
  let chosen = selectable;
  if (include.length > 0) {
    const matchers = include.map((pattern) => ({ pattern, match: toMatcher(pattern, delimiter) }));
    for (const { pattern, match } of matchers) {
      if (selectable.some(match)) continue;
      if (!isWildcard(pattern)) {
        throw makeError('FOLDER_NOT_FOUND', `No folder ${JSON.stringify(pattern)} on the server.`, {
          field: '/query',
          details: { folder: pattern, available: selectable.map((f) => f.path) },
        });
      }
      unmatched.push(pattern);
    }
    chosen = selectable.filter((folder) => matchers.some(({ match }) => match(folder)));
  }
  const excluded = exclude.map((pattern) => toMatcher(pattern, delimiter));
  return {
    folders: chosen.filter((folder) => !excluded.some((match) => match(folder))),
    unmatched,
  };
}

/** What to tell a person about a folder pattern that matched nothing. */
export function unmatchedWarning(pattern: string): string {
  return `folder pattern ${JSON.stringify(pattern)} matched no folder`;
}

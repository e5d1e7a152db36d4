import type { Issue } from '../errors.js';
import type { BatchProfile } from './batch-profile.js';

/** What a POP3 source cannot do (no search, folders or flags), and POP3 as a destination. */
export function pop3Issues(
  profile: Pick<BatchProfile, 'source' | 'destination' | 'copy'>,
): Issue[] {
  const issues: Issue[] = [];
  if (profile.destination.imap?.protocol === 'pop3')
    issues.push({
      field: '/destination/imap/protocol',
      message: 'POP3 can only be a source: a destination is an IMAP server or the archive',
    });
  const copy = profile.copy ?? {};
  if (profile.source.protocol !== 'pop3') {
    if (copy.pop3Folder !== undefined)
      issues.push({
        field: '/copy/pop3Folder',
        message: 'pop3Folder is for a POP3 source (source.protocol pop3)',
      });
    return issues;
  }
  for (const key of [
    'query',
    'foldersInclude',
    'foldersExclude',
    'startDate',
    'endDate',
    'folderMapping',
    'sentFolder',
  ] as const)
    if (copy[key] !== undefined)
      issues.push({
        field: `/copy/${key}`,
        message: `a POP3 source has one folder and no search: ${key} does not apply`,
      });
  const action = (copy.postReadAction as { type?: string } | undefined)?.type ?? 'none';
  if (action !== 'none' && action !== 'delete')
    issues.push({
      field: '/copy/postReadAction',
      message: `a POP3 source has no flags or folders: only delete (or none), got ${action}`,
    });
  return issues;
}

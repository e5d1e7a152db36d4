import { describe, expect, it } from 'vitest';
import type { FolderInfo } from '../../../src/folder-info.js';
import { parseQuery } from '../../../src/query/parse.js';
import { folderSelection, planFolders } from '../../../src/query/plan.js';

const folder = (
  path: string,
  specialUse: string | null = null,
  flags: string[] = [],
): FolderInfo => ({
  path,
  name: path.split('/').pop()!,
  delimiter: '/',
  specialUse,
  specialUseFromServer: specialUse !== null,
  flags,
  subscribed: true,
});
const FOLDERS = [
  folder('INBOX', '\\Inbox'),
  folder('Archive', null, ['\\Noselect']),
  folder('Archive/2023'),
  folder('Archive/2024'),
  folder('Archive/2024/Q1'),
  folder('Gesendete Elemente', '\\Sent'),
  folder('Spam', '\\Junk'),
  folder('Überweisungen'),
];
const none: { foldersInclude: string[]; foldersExclude: string[] } = {
  foldersInclude: [],
  foldersExclude: [],
};
const paths = (query: string, connection = none): string[] =>
  planFolders(FOLDERS, folderSelection(parseQuery(query), connection)).folders.map((f) => f.path);

describe('planFolders', () => {
  it.each([
    [
      'ALL',
      [
        'INBOX',
        'Archive/2023',
        'Archive/2024',
        'Archive/2024/Q1',
        'Gesendete Elemente',
        'Spam',
        'Überweisungen',
      ],
    ],
    ['ALL FOLDER inbox', ['INBOX']],
    ['ALL FOLDER "Archive/*"', ['Archive/2023', 'Archive/2024', 'Archive/2024/Q1']],
    ['ALL FOLDER "Archive/%"', ['Archive/2023', 'Archive/2024']],
    ['ALL IN \\Sent', ['Gesendete Elemente']],
    ['ALL IN \\sent IN INBOX', ['INBOX', 'Gesendete Elemente']],
    ['ALL EXCLUDE "Archive/*" EXCLUDE \\Junk', ['INBOX', 'Gesendete Elemente', 'Überweisungen']],
    ['ALL FOLDER "Über*"', ['Überweisungen']],
  ])('%j reads %j', (query, expected) => {
    expect(paths(query)).toEqual(expected);
  });

  it('skips \\Noselect folders even when named', () => {
    expect(() => paths('ALL FOLDER Archive')).toThrow(/No folder "Archive"/);
  });

  it('uses the connection include list unless the query names folders, and always its exclude list', () => {
    expect(paths('ALL', { foldersInclude: ['INBOX', 'Spam'], foldersExclude: ['Spam'] })).toEqual([
      'INBOX',
    ]);
    expect(
      paths('ALL FOLDER Überweisungen', { foldersInclude: ['INBOX'], foldersExclude: [] }),
    ).toEqual(['Überweisungen']);
  });

  it('fails with FOLDER_NOT_FOUND for a name without wildcards that does not exist', () => {
    expect(() => paths('ALL FOLDER Sent')).toThrow(
      expect.objectContaining({
        code: 'FOLDER_NOT_FOUND',
        details: expect.objectContaining({ folder: 'Sent' }),
      }),
    );
  });

  it('reports wildcard patterns that match nothing instead of failing', () => {
    expect(
      planFolders(FOLDERS, folderSelection(parseQuery('ALL FOLDER "Old/*" FOLDER INBOX'), none)),
    ).toMatchObject({ unmatched: ['Old/*'], folders: [{ path: 'INBOX' }] });
  });

  it('treats regular-expression characters in names literally', () => {
    const odd = [folder('a.b'), folder('axb'), folder('c+d')];
    expect(
      planFolders(
        odd,
        folderSelection(parseQuery('ALL FOLDER "a.b" FOLDER "c+d"'), none),
      ).folders.map((f) => f.path),
    ).toEqual(['a.b', 'c+d']);
  });
});

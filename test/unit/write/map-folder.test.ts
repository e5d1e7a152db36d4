import { describe, expect, it } from 'vitest';
import { mapFolder, parseFolderMapping } from '../../../src/write/map-folder.js';

const src = (path: string, delimiter = '/', specialUse: string | null = null) => ({
  path,
  delimiter,
  specialUse,
});
const slashTarget = {
  delimiter: '/',
  folders: [
    { path: 'INBOX', specialUse: null, specialUseFromServer: false },
    { path: 'Sent Items', specialUse: '\\Sent', specialUseFromServer: true },
  ],
};
const dotTarget = { delimiter: '.', folders: [] };

describe('mapFolder', () => {
  it('keeps names by default', () => {
    expect(mapFolder(src('Projects/2024'), slashTarget)).toBe('Projects/2024');
    expect(mapFolder(src('Überweisungen'), slashTarget)).toBe('Überweisungen');
  });

  it('re-joins levels with the target delimiter and keeps a name that holds it as one level', () => {
    expect(mapFolder(src('Projects/2024'), dotTarget)).toBe('Projects.2024');
    expect(mapFolder(src('v1.2/notes'), dotTarget)).toBe('v1_2.notes');
    expect(mapFolder(src('A.B', '.'), slashTarget)).toBe('A/B');
  });

  it("sends the source's special-use folder to the target's, whatever each calls it", () => {
    expect(mapFolder(src('Sent Messages', '/', '\\Sent'), slashTarget)).toBe('Sent Items');
    expect(mapFolder(src('Gesendet', '/', '\\Sent'), slashTarget, { prefix: 'Imported' })).toBe(
      'Imported/Sent Items',
    );
    expect(mapFolder(src('Drafts', '/', '\\Drafts'), slashTarget)).toBe('Drafts');
  });

  it("sends the source's sent items folder named in sentFolder to the target's \\Sent, when its server does not mark it", () => {
    expect(mapFolder(src('Gesendete Objekte'), slashTarget)).toBe('Gesendete Objekte');
    expect(
      mapFolder(src('Gesendete Objekte'), slashTarget, { sentFolder: 'Gesendete Objekte' }),
    ).toBe('Sent Items');
    // Only that folder; and the mapping table still comes first.
    expect(mapFolder(src('Drafts'), slashTarget, { sentFolder: 'Gesendete Objekte' })).toBe(
      'Drafts',
    );
    expect(
      mapFolder(src('Gesendete Objekte'), slashTarget, {
        sentFolder: 'Gesendete Objekte',
        mapping: { 'Gesendete Objekte': 'Old sent' },
      }),
    ).toBe('Old sent');
  });

  it('never follows a special use imapflow only guessed from a name (a folder the import made itself)', () => {
    const guessed = {
      delimiter: '/',
      folders: [{ path: 'Mig/Sent', specialUse: '\\Sent', specialUseFromServer: false }],
    };
    expect(mapFolder(src('Sent', '/', '\\Sent'), guessed, { prefix: 'Mig' })).toBe('Mig/Sent');
  });

  it('puts everything under a prefix, with or without a trailing delimiter, INBOX in capitals', () => {
    expect(mapFolder(src('inbox'), slashTarget, { prefix: 'Imported/' })).toBe('Imported/INBOX');
    expect(mapFolder(src('a/b'), dotTarget, { prefix: 'Imported.' })).toBe('Imported.a.b');
  });

  it('lets the mapping table win over everything', () => {
    expect(
      mapFolder(src('Sent Messages', '/', '\\Sent'), slashTarget, {
        prefix: 'X',
        mapping: { 'Sent Messages': 'Old Sent' },
      }),
    ).toBe('Old Sent');
  });
});

describe('parseFolderMapping', () => {
  it('reads Source=Target, splitting at the first =', () => {
    expect(parseFolderMapping(['Sent=Sent Items', 'A=B=C'])).toEqual({
      mapping: { Sent: 'Sent Items', A: 'B=C' },
      errors: [],
    });
  });

  it('names each malformed entry', () => {
    expect(parseFolderMapping(['=x', 'y=', 'nothing']).errors).toEqual([
      'folder mapping "=x" must be written Source=Target',
      'folder mapping "y=" must be written Source=Target',
      'folder mapping "nothing" must be written Source=Target',
    ]);
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamNamesOf } from '../../../src/adapters/stream-names.js';

const digest = (folder: string): string =>
  createHash('sha256').update(folder, 'utf8').digest('hex').slice(0, 8);

// What PyAirbyte's LowerCaseNormalizer does to a stream name, and what it refuses.
const pyairbyteNormalized = (name: string): string =>
  name.toLowerCase().replace(/[^a-z0-9_]/g, '_');

describe('stream names for hosts', () => {
  it('keeps plain names and suffixes the rest with the digest of their path', () => {
    const folders = [
      'INBOX',
      'Sent',
      'Archive_2023',
      'Archive/2023',
      'Sent Items',
      '日本語',
      'Entwürfe',
      'R&D',
      '2024',
      'Work',
      'work',
      'Notes_0123abcd',
    ];
    const names = streamNamesOf(folders);
    expect(Object.fromEntries(names)).toEqual({
      INBOX: 'INBOX',
      Sent: 'Sent',
      Archive_2023: 'Archive_2023',
      'Archive/2023': `Archive_2023_${digest('Archive/2023')}`,
      'Sent Items': `Sent_Items_${digest('Sent Items')}`,
      日本語: `folder_${digest('日本語')}`,
      Entwürfe: `Entwurfe_${digest('Entwürfe')}`,
      'R&D': `R_D_${digest('R&D')}`,
      '2024': `folder_2024_${digest('2024')}`,
      // Twins in another case would be one table in a host that folds case (PyAirbyte).
      Work: `Work_${digest('Work')}`,
      work: `work_${digest('work')}`,
      // A plain name that looks suffixed is suffixed, so no plain name equals a suffixed one.
      Notes_0123abcd: `Notes_0123abcd_${digest('Notes_0123abcd')}`,
    });
  });

  it('is the same for a folder whatever else the account has (but a twin in another case)', () => {
    const alone = streamNamesOf(['Archive/2023']).get('Archive/2023');
    const among = streamNamesOf(['INBOX', 'Archive', 'Archive/2023', 'x']).get('Archive/2023');
    expect(among).toBe(alone);
  });

  it('never gives two folders one name, and every name survives PyAirbyte and a file system', () => {
    const folder = fc.oneof(
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.constantFrom('INBOX', 'a/b', 'a.b', 'a b', 'A/B', 'a_b', '日本', '&-', 'Ü'),
    );
    fc.assert(
      fc.property(fc.uniqueArray(folder, { maxLength: 40 }), (folders) => {
        const names = [...streamNamesOf(folders).values()];
        expect(new Set(names).size).toBe(folders.length);
        expect(new Set(names.map(pyairbyteNormalized)).size).toBe(folders.length);
        for (const name of names) expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]{0,63}$/);
      }),
      { numRuns: 300 },
    );
  });
});

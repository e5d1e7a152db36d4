import { describe, expect, it } from 'vitest';
import { formatImport } from '../../../src/cli/import-format.js';
import { REPLACE_SKIPPED } from '../../../src/import/import-destination.js';
import { emptyFolderResult, totalsOf } from '../../../src/import/import-result.js';

describe('formatImport', () => {
  it('warns when replace emptied nothing because the job ran before', () => {
    const folders = [emptyFolderResult('INBOX', 'INBOX')];
    const result = {
      destination: 'imap' as const,
      folders,
      totals: totalsOf(folders, 0),
      unmatched: [],
    };
    expect(formatImport(result)).not.toContain('replace emptied nothing');
    expect(formatImport({ ...result, replaceSkipped: REPLACE_SKIPPED })).toContain(
      `  warning: replace emptied nothing: this job ran before without it`,
    );
  });
});

import type { ImportResult } from '../../src/index.js';

/** What a failed import rejects with, as the tests read it. */
export interface ImportFailure {
  code: string;
  message: string;
  details?: { result?: ImportResult; side?: string };
}

/** The error an import fails with; the test fails if it succeeds. */
export async function expectImportFailure(promise: Promise<unknown>): Promise<ImportFailure> {
  try {
    await promise;
  } catch (error) {
    return error as ImportFailure;
  }
  throw new Error('expected the import to fail');
}

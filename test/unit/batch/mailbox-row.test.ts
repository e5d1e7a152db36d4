import { describe, expect, it } from 'vitest';
import {
  countsOf,
  doneRow,
  freshMailbox,
  reported,
  withEarlier,
} from '../../../src/batch/mailbox-row.js';
import { makeError } from '../../../src/errors.js';
import {
  emptyFolderResult,
  type FolderImportResult,
  type ImportResult,
} from '../../../src/import/import-result.js';

const folder = (name: string, copied: number, failed = 0): FolderImportResult => ({
  ...emptyFolderResult(name, name),
  seen: copied + failed,
  copied,
  failed,
  bytes: copied * 100,
});

describe('countsOf', () => {
  it('sums the folders of one attempt and lists each', () => {
    expect(countsOf([folder('INBOX', 3), folder('Sent', 2, 1)])).toEqual({
      seen: 6,
      copied: 5,
      duplicates: 0,
      failed: 1,
      bytes: 500,
      foldersDone: 2,
      folders: [
        { folder: 'INBOX', seen: 3, copied: 3, duplicates: 0, failed: 0 },
        { folder: 'Sent', seen: 3, copied: 2, duplicates: 0, failed: 1 },
      ],
    });
  });
});

describe('withEarlier', () => {
  it("adds an attempt's counts to the row's, per folder too, so a continued run counts the whole mailbox", () => {
    const before = {
      ...freshMailbox({ key: 'k', label: 'l', line: 1 }),
      attempts: 1,
      ...countsOf([folder('INBOX', 269)]),
    };
    const total = withEarlier(before, countsOf([folder('INBOX', 300), folder('Sent', 31)]));
    expect(total).toMatchObject({ copied: 600, seen: 600, bytes: 60_000, foldersDone: 2 });
    expect(total.folders).toEqual([
      { folder: 'INBOX', seen: 569, copied: 569, duplicates: 0, failed: 0 },
      { folder: 'Sent', seen: 31, copied: 31, duplicates: 0, failed: 0 },
    ]);
  });

  it('keeps every flag a folder could not keep, once, across attempts', () => {
    const leftOut = (name: string, ...flags: string[]): FolderImportResult => ({
      ...folder(name, 1),
      flagsLeftOut: flags.map((flag) => ({ side: 'destination' as const, flag, messages: 1 })),
    });
    const before = {
      ...freshMailbox({ key: 'k', label: 'l', line: 1 }),
      attempts: 1,
      ...countsOf([leftOut('INBOX', '$Label1')]),
    };
    const total = withEarlier(before, countsOf([leftOut('INBOX', '$Label1', '\\Flagged')]));
    expect(total.folders[0]!.flagsLeftOut).toEqual([
      '$Label1 at the destination',
      '\\Flagged at the destination',
    ]);
  });

  it('changes nothing on top of a fresh row', () => {
    const counts = countsOf([folder('INBOX', 2)]);
    expect(withEarlier(freshMailbox({ key: 'k', label: 'l', line: 1 }), counts)).toEqual(counts);
  });
});

describe('doneRow', () => {
  const result = (folders: FolderImportResult[]): ImportResult => ({
    destination: 'imap',
    folders,
    totals: {
      seen: 0,
      copied: 0,
      duplicates: 0,
      failed: folders.reduce((n, f) => n + f.failed, 0),
      bytes: 0,
      elapsedMs: 0,
    },
    unmatched: [],
  });

  it('is done without an error when every message was copied', () => {
    expect(doneRow(countsOf([folder('INBOX', 2)]), result([folder('INBOX', 2)]))).toMatchObject({
      status: 'done',
      error: null,
      foldersTotal: 1,
    });
  });

  it("names the failed messages' most frequent code", () => {
    const inbox = {
      ...folder('INBOX', 1, 2),
      failures: [
        { uid: 1, code: 'MESSAGE_UNAVAILABLE', message: 'x' },
        { uid: 2, code: 'MESSAGE_UNAVAILABLE', message: 'x' },
      ],
    };
    expect(doneRow(countsOf([inbox]), result([inbox])).error).toMatchObject({
      code: 'MESSAGE_UNAVAILABLE',
      message: '2 messages could not be copied; they are tried again on the next run.',
    });
  });
});

describe('reported', () => {
  it('keeps code and hint and redacts passwords from the message', () => {
    const error = makeError('AUTH_FAILED', 'login as bob with s3cret refused');
    expect(reported(error, ['s3cret'])).toEqual({
      code: 'AUTH_FAILED',
      message: expect.not.stringContaining('s3cret'),
      hint: error.hint,
    });
  });

  it('makes anything else INTERNAL', () => {
    expect(reported(new TypeError('x is undefined'), [])).toEqual({
      code: 'INTERNAL',
      message: 'x is undefined',
    });
  });
});

/**
 * Each class of search key, OR / NOT / groups, folder selection (wildcards, special use,
 * EXCLUDE) and the connection's folder and date settings, against the standard corpus.
 * Expected results are the subjects (with folder) of the matching messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { read, type ReadResult } from '../../src/index.js';
import { corpusUser } from '../helpers/corpus.js';
import { makeConfig } from '../helpers/make-config.js';

let user: { name: string; password: string };
beforeAll(async () => {
  user = await corpusUser();
});

async function subjects(query: string, overrides: Record<string, unknown> = {}): Promise<string[]> {
  const result: ReadResult = await read(makeConfig(user, overrides), query, { pageSize: 1000 });
  expect(result.done).toBe(true);
  return result.rows.map(
    (row) => `${(row as { folder: string }).folder}: ${(row as { subject: string }).subject}`,
  );
}

const ALL = [
  'INBOX: Quarterly numbers',
  'INBOX: Überweisung erhalten',
  'INBOX: Invoice 2024-001',
  'INBOX: Nightly job finished',
  'INBOX: Duplicate id one',
  'INBOX: Duplicate id two',
  'INBOX: Big report',
  'Archiv/2024: Archived note',
  'Sent: Re: Quarterly numbers',
  'Überweisungen: Überweisung erhalten',
];

describe('read: search keys', () => {
  it.each([
    ['ALL', ALL],
    ['FROM "alice@example.com"', ['INBOX: Quarterly numbers', 'Sent: Re: Quarterly numbers']],
    ['TO bob@example.com', ['INBOX: Quarterly numbers']],
    [
      'SUBJECT "überweisung"',
      ['INBOX: Überweisung erhalten', 'Überweisungen: Überweisung erhalten'],
    ],
    ['BODY "different body"', ['INBOX: Duplicate id two']],
    ['TEXT "nightly job"', ['INBOX: Nightly job finished']],
    [
      'HEADER Message-ID "same@example.com"',
      ['INBOX: Duplicate id one', 'INBOX: Duplicate id two'],
    ],
    ['SEEN', ['INBOX: Quarterly numbers', 'INBOX: Big report', 'Sent: Re: Quarterly numbers']],
    [
      'UNSEEN FOLDER INBOX',
      [
        'INBOX: Überweisung erhalten',
        'INBOX: Invoice 2024-001',
        'INBOX: Nightly job finished',
        'INBOX: Duplicate id one',
        'INBOX: Duplicate id two',
      ],
    ],
    ['FLAGGED', ['INBOX: Invoice 2024-001']],
    ['KEYWORD $Important', ['INBOX: Invoice 2024-001']],
    ['ANSWERED', ['INBOX: Big report']],
    [
      'SINCE 2024-02-01',
      ['INBOX: Duplicate id one', 'INBOX: Duplicate id two', 'INBOX: Big report'],
    ],
    [
      'BEFORE 16-Jan-2024',
      ['INBOX: Quarterly numbers', 'Archiv/2024: Archived note', 'Sent: Re: Quarterly numbers'],
    ],
    ['ON 2024-01-17', ['INBOX: Invoice 2024-001']],
    // Dovecot dates a message without a Date header at the epoch for SENT* keys.
    [
      'SENTBEFORE 2024-01-16',
      ['INBOX: Quarterly numbers', 'INBOX: Nightly job finished', 'Sent: Re: Quarterly numbers'],
    ],
    [
      'SENTSINCE 2024-01-19',
      [
        'INBOX: Duplicate id one',
        'INBOX: Duplicate id two',
        'INBOX: Big report',
        'Archiv/2024: Archived note',
      ],
    ],
    ['LARGER 10000', ['INBOX: Big report']],
    ['SMALLER 10000 SUBJECT "Big"', []],
    ['UID 1:2 FOLDER INBOX', ['INBOX: Quarterly numbers', 'INBOX: Überweisung erhalten']],
    ['2,4 FOLDER INBOX', ['INBOX: Überweisung erhalten', 'INBOX: Nightly job finished']],
  ])('%s', async (query, expected) => {
    expect(await subjects(query)).toEqual(expected);
  });
});

describe('read: OR, NOT and groups', () => {
  it.each([
    [
      'OR FROM carol@example.org FROM legacy-system@example.net',
      ['INBOX: Nightly job finished', 'Archiv/2024: Archived note'],
    ],
    ['NOT SEEN FOLDER Sent', []],
    [
      'OR (FROM "alice@example.com" SEEN) (FLAGGED KEYWORD $Important)',
      ['INBOX: Quarterly numbers', 'INBOX: Invoice 2024-001', 'Sent: Re: Quarterly numbers'],
    ],
    [
      'NOT (OR SEEN FLAGGED) FOLDER INBOX',
      [
        'INBOX: Überweisung erhalten',
        'INBOX: Nightly job finished',
        'INBOX: Duplicate id one',
        'INBOX: Duplicate id two',
      ],
    ],
    ['from "alice@example.com"\n  seen\nfolder inbox', ['INBOX: Quarterly numbers']],
  ])('%j', async (query, expected) => {
    expect(await subjects(query)).toEqual(expected);
  });
});

describe('read: folders', () => {
  it.each([
    ['ALL FOLDER "Archiv/*"', ['Archiv/2024: Archived note']],
    ['ALL IN \\Sent', ['Sent: Re: Quarterly numbers']],
    ['FROM "alice@example.com" EXCLUDE Sent', ['INBOX: Quarterly numbers']],
    ['SUBJECT "Überweisung" FOLDER "Überweisungen"', ['Überweisungen: Überweisung erhalten']],
    [
      'ALL FOLDER inbox LIMIT 3',
      ['INBOX: Quarterly numbers', 'INBOX: Überweisung erhalten', 'INBOX: Invoice 2024-001'],
    ],
  ])('%j', async (query, expected) => {
    expect(await subjects(query)).toEqual(expected);
  });

  it('fails with FOLDER_NOT_FOUND, listing what exists, for a folder that is not there', async () => {
    await expect(read(makeConfig(user), 'ALL FOLDER Nope')).rejects.toMatchObject({
      code: 'FOLDER_NOT_FOUND',
      details: { folder: 'Nope', available: expect.arrayContaining(['INBOX', 'Überweisungen']) },
    });
  });

  it("merges the connection's folders and start/end dates (end date inclusive)", async () => {
    expect(await subjects('ALL', { foldersInclude: ['INBOX'], startDate: '20240201' })).toEqual([
      'INBOX: Duplicate id one',
      'INBOX: Duplicate id two',
      'INBOX: Big report',
    ]);
    expect(await subjects('ALL FOLDER INBOX', { endDate: '2024-01-16' })).toEqual([
      'INBOX: Quarterly numbers',
      'INBOX: Überweisung erhalten',
    ]);
    expect(await subjects('ALL', { foldersExclude: ['INBOX', 'Archiv/*'] })).toEqual([
      'Sent: Re: Quarterly numbers',
      'Überweisungen: Überweisung erhalten',
    ]);
  });

  it('refuses X-GM-RAW on a server without the Gmail extension', async () => {
    await expect(read(makeConfig(user), 'X-GM-RAW "has:attachment"')).rejects.toMatchObject({
      code: 'QUERY_UNSUPPORTED',
    });
  });
});

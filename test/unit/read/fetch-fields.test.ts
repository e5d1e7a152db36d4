import { describe, expect, it } from 'vitest';
import { toUidSet } from '../../../src/imap/uid-set.js';
import { fetchFields } from '../../../src/read/fetch-fields.js';
import { resolveSelect } from '../../../src/rows/select.js';

const noGmail = new Set<string>();

describe('fetchFields', () => {
  it('asks for no body with the envelope select', () => {
    const fields = fetchFields(resolveSelect(), noGmail);
    expect(fields).toEqual({
      uid: true,
      flags: true,
      internalDate: true,
      size: true,
      envelope: true,
      bodyStructure: true,
      headers: ['references'],
    });
  });

  it('adds the source (BODY.PEEK[]) only for raw: bodies are fetched part by part', () => {
    expect(fetchFields(resolveSelect({ select: 'full' }), noGmail).source).toBeUndefined();
    expect(fetchFields(resolveSelect({ select: 'text' }), noGmail).source).toBeUndefined();
    expect(fetchFields(resolveSelect({ select: 'full', raw: true }), noGmail).source).toBe(true);
    expect(fetchFields(resolveSelect({ raw: true }), noGmail).source).toBe(true);
  });

  it('asks for Gmail labels and thread ids only where the server has them', () => {
    expect(fetchFields(resolveSelect(), new Set(['X-GM-EXT-1']))).toMatchObject({
      labels: true,
      threadId: true,
    });
  });

  it('asks for extra headers in lower case', () => {
    expect(
      fetchFields(resolveSelect({ headers: ['List-Id', 'X-Mailer'] }), noGmail).headers,
    ).toEqual(['references', 'list-id', 'x-mailer']);
  });
});

describe('toUidSet', () => {
  it.each([
    [[1], '1'],
    [[1, 2, 3], '1:3'],
    [[1, 2, 4, 7, 8, 9, 20], '1:2,4,7:9,20'],
    [[5, 7, 9], '5,7,9'],
    [[], ''],
  ])('%j -> %s', (uids, expected) => expect(toUidSet(uids)).toBe(expected));
});

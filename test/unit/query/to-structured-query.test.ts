import { describe, expect, it } from 'vitest';
import { toStructuredQuery } from '../../../src/query/to-structured-query.js';

describe('toStructuredQuery', () => {
  it("accepts a host's structured query and fills defaults", () => {
    expect(
      toStructuredQuery({
        criteria: [{ key: 'OR', left: { key: 'SEEN' }, right: { key: 'FROM', value: 'a' } }],
      }),
    ).toEqual({
      criteria: [{ key: 'OR', left: { key: 'SEEN' }, right: { key: 'FROM', value: 'a' } }],
      folders: { include: [], exclude: [] },
      limit: null,
    });
  });

  it('compiles text', () => {
    expect(toStructuredQuery('SEEN LIMIT 2').limit).toBe(2);
  });

  it.each([
    [{ criteria: [] }, /criteria/],
    [{ criteria: [{ key: 'FROM' }] }, /value/],
    [{ criteria: [{ key: 'FROM', value: '' }] }, /must not be empty/],
    [{ criteria: [{ key: 'LARGER', size: 0 }] }, /size/],
    [{ criteria: [{ key: 'SINCE', date: '2024-02-30' }] }, /date/],
    [{ criteria: [{ key: 'SINCE', date: '24-01-01' }] }, /date/],
    [{ criteria: [{ key: 'NOT', operand: { key: 'BOGUS' } }] }, /criteria/],
    [{ criteria: [{ key: 'ALL' }], limit: 0 }, /limit/],
    [{ criteria: [{ key: 'ALL' }], extra: 1 }, /extra is not a known field/],
  ])('refuses %j', (input, message) => {
    expect(() => toStructuredQuery(input)).toThrow(
      expect.objectContaining({ code: 'QUERY_INVALID', message: expect.stringMatching(message) }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { fetchItemsText } from '../../../src/imap/fetch-items.js';

describe('fetchItemsText', () => {
  it('asks for the whole source, or a range of it (a streamed message read 1 MB at a time)', () => {
    expect(fetchItemsText({ uid: true, source: true })).toBe('(UID BODY.PEEK[])');
    expect(fetchItemsText({ uid: true, source: { start: 1048576, maxLength: 1048576 } })).toBe(
      '(UID BODY.PEEK[]<1048576.1048576>)',
    );
    expect(fetchItemsText({ source: { maxLength: 2 } })).toBe('(BODY.PEEK[]<0.2>)');
  });

  it('refuses a range that is not one (negative, empty, fractional) rather than send it', () => {
    for (const source of [
      { start: -1, maxLength: 2 },
      { start: 0, maxLength: 0 },
      { start: 0 },
      { start: 1.5, maxLength: 2 },
    ])
      expect(() => fetchItemsText({ source })).toThrow(/Not a partial FETCH range/);
  });
});

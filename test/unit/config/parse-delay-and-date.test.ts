import { describe, expect, it } from 'vitest';
import { parseConfigDate } from '../../../src/config/parse-date.js';
import { parseDelayMs } from '../../../src/config/parse-delay.js';

describe('parseDelayMs', () => {
  it.each([
    ['0', 0],
    ['2', 2000],
    ['0.5', 500],
    ['.5', 500],
    ['1/2', 500],
    [' 3 / 4 ', 750],
    ['1/3', 333],
    [1.25, 1250],
    [0, 0],
  ] as const)('reads %j as %d ms', (input, ms) => expect(parseDelayMs(input)).toBe(ms));

  it.each(['', 'half', '-1', '1/0', '1/', '0,5', '1e3', 'NaN'])('rejects %j', (input) =>
    expect(parseDelayMs(input)).toBeUndefined(),
  );
  it('rejects negative and non-finite numbers', () => {
    expect(parseDelayMs(-1)).toBeUndefined();
    expect(parseDelayMs(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe('parseConfigDate', () => {
  it.each([
    ['20240131', '2024-01-31'],
    ['2024-01-31', '2024-01-31'],
    ['2024-02-29', '2024-02-29'],
    ['2024-01-31T23:59:59Z', '2024-01-31'],
  ])('reads %j as %s', (input, day) => expect(parseConfigDate(input)).toBe(day));

  it.each(['2023-02-29', '20241301', '2024-00-10', '2024-04-31', 'yesterday', ''])(
    'rejects %j, which is no calendar day',
    (input) => expect(parseConfigDate(input)).toBeUndefined(),
  );
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';

const readme = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map(
  [...readme.matchAll(/^\| `([A-Z_]+)` \| (\w+) \| (yes|no) \| (.+) \|$/gm)].map((m) => [
    m[1],
    { kind: m[2], retryable: m[3] === 'yes', hint: m[4] },
  ]),
);

describe('the error table of docs/errors.md', () => {
  it('has exactly one row per error code', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it.each(Object.entries(ERROR_CODES))('describes %s as the code table does', (code, spec) => {
    expect(rows.get(code)).toEqual({ kind: spec.kind, retryable: spec.retryable, hint: spec.hint });
  });
});

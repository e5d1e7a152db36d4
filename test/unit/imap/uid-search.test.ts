import { describe, expect, it } from 'vitest';
import { toSearchError } from '../../../src/imap/uid-search.js';

const ctx = { host: 'h', port: 993, security: 'tls', timeoutMs: 1000, secrets: ['s3cret-value'] };
const fail = (fields: Record<string, unknown>): Error =>
  Object.assign(new Error('Command failed'), fields);

describe('toSearchError', () => {
  it.each([
    [
      fail({
        responseStatus: 'NO',
        serverResponseCode: 'BADCHARSET',
        responseText: '[BADCHARSET (US-ASCII)] Unknown charset',
      }),
      'QUERY_UNSUPPORTED',
    ],
    [
      fail({
        responseStatus: 'BAD',
        responseText: 'Error in IMAP command UID SEARCH: Unknown argument s3cret-value',
      }),
      'SEARCH_REJECTED',
    ],
    [fail({ responseStatus: 'NO', responseText: 'Search timed out' }), 'SEARCH_REJECTED'],
    [fail({ code: 'NoConnection' }), 'CONNECTION_LOST'],
  ])('maps a failed search to %s', (error, code) => {
    const mapped = toSearchError(error, ctx);
    expect(mapped.code).toBe(code);
    expect(JSON.stringify(mapped.toJSON())).not.toContain('s3cret-value');
  });
});

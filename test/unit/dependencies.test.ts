/** Every runtime dependency loads, with the exports the connector relies on (pins in package.json). */
import { describe, expect, it } from 'vitest';

describe('runtime dependencies', () => {
  it('imapflow exports the client class and its error codes', async () => {
    const imapflow = await import('imapflow');
    expect(typeof imapflow.ImapFlow).toBe('function');
    expect(imapflow.ImapFlowErrorCode.NoConnection).toBe('NoConnection');
    expect(typeof imapflow.ImapFlow.prototype.connect).toBe('function');
    expect(typeof imapflow.ImapFlow.prototype.list).toBe('function');
    // imap/imapflow-internals.ts runs UID SEARCH and MULTIAPPEND through this internal method.
    expect(typeof (imapflow.ImapFlow.prototype as unknown as { exec: unknown }).exec).toBe(
      'function',
    );
  });

  it('mailparser, ajv and jsonata load', async () => {
    expect(typeof (await import('mailparser')).simpleParser).toBe('function');
    expect(typeof (await import('ajv/dist/2020.js')).Ajv2020).toBe('function');
    const jsonata = (await import('jsonata')).default;
    expect(await jsonata('a + 1').evaluate({ a: 1 })).toBe(2);
  });
});

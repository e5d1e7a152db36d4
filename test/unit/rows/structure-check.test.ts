import { describe, expect, it } from 'vitest';
import type { MessageStructureObject } from 'imapflow';
import { contentTypeOf, structureMissesMultipart } from '../../../src/rows/structure-check.js';

const leaf = (size: number): MessageStructureObject =>
  ({ part: '1', type: 'text/plain', size }) as MessageStructureObject;
const multipart = (
  children: MessageStructureObject[],
  parameters?: Record<string, string>,
): MessageStructureObject =>
  ({
    type: 'multipart/mixed',
    childNodes: children,
    ...(parameters ? { parameters } : {}),
  }) as MessageStructureObject;

describe('contentTypeOf', () => {
  it.each([
    ['multipart/mixed; boundary="d"', 'multipart/mixed', true],
    ['multipart/mixed;; boundary="d"', 'multipart/mixed', true],
    ["multipart/mixed; boundary*=us-ascii''d", 'multipart/mixed', true],
    ['multipart/mixed; boundary*0="a"; boundary*1="b"', 'multipart/mixed', true],
    ['Multipart/*; BOUNDARY=x', 'multipart/*', true],
    ['text/plain; charset=utf-8', 'text/plain', false],
    ['multipart/mixed; xboundary=x', 'multipart/mixed', false],
  ])('reads %s', (value, type, boundary) => {
    expect(contentTypeOf(value)).toEqual({ type, boundary });
  });
});

describe('structureMissesMultipart', () => {
  it('is false when the structure found the parts the header announces', () => {
    const found = multipart([leaf(10), leaf(20)], { boundary: 'd' });
    expect(structureMissesMultipart(found, 'multipart/mixed; boundary="d"')).toBe(false);
  });

  it('is true when the server saw one part where the header names a multipart', () => {
    expect(structureMissesMultipart(leaf(30), 'multipart/mixed;; boundary="d"')).toBe(true);
  });

  it("is true for Dovecot's made-up empty part without a boundary (NIL parameters)", () => {
    expect(structureMissesMultipart(multipart([leaf(0)]), 'multipart/mixed;; boundary="d"')).toBe(
      true,
    );
  });

  it('is true when the structure has parameters but no boundary among them', () => {
    const noBoundary = multipart([leaf(12)], { charset: 'us-ascii' });
    expect(structureMissesMultipart(noBoundary, 'multipart/mixed; boundary="d"')).toBe(true);
  });

  it('trusts a multipart without extension data whose parts have content', () => {
    expect(structureMissesMultipart(multipart([leaf(12)]), 'multipart/mixed; boundary="d"')).toBe(
      false,
    );
  });

  it('is false for a non-multipart header, or none', () => {
    expect(structureMissesMultipart(leaf(0), 'text/plain')).toBe(false);
    expect(structureMissesMultipart(leaf(0), undefined)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { Node } from '../../../src/imap/fetch-tokens.js';
import { structureProblem } from '../../../src/imap/mime-shape.js';

const s = (value: string): Node => ({ type: 'STRING', value });
const leaf = (): Node[] => [s('text'), s('plain'), null, null, null, s('7bit'), s('1'), s('1')];
const multipart = (children: Node[][]): Node[] => [...children, s('mixed')];
/** message/rfc822 around `body`: its envelope is left NIL, as only the shape matters here. */
const encapsulated = (body: Node[]): Node[] => [
  s('message'),
  s('rfc822'),
  null,
  null,
  null,
  s('7bit'),
  s('10'),
  null,
  body,
  s('1'),
];

function nested(levels: number, wrap: (inner: Node[]) => Node[]): Node[] {
  let node = leaf();
  for (let i = 1; i < levels; i++) node = wrap(node);
  return node;
}

describe('structureProblem', () => {
  it('accepts a tree at the depth limit, counting multipart and message/rfc822 levels alike', () => {
    const limits = { mimeDepth: 4, mimeParts: 100 };
    expect(
      structureProblem(
        nested(4, (n) => multipart([n])),
        limits,
      ),
    ).toBeUndefined();
    expect(structureProblem(nested(4, encapsulated), limits)).toBeUndefined();
  });

  it('refuses one level more, as the message problem MESSAGE_UNPARSABLE', () => {
    const limits = { mimeDepth: 4, mimeParts: 100 };
    for (const wrap of [(n: Node[]) => multipart([n]), encapsulated])
      expect(structureProblem(nested(5, wrap), limits)).toMatchObject({
        code: 'MESSAGE_UNPARSABLE',
        message: expect.stringMatching(/nested deeper than 4 levels/),
      });
  });

  it('counts parts in every branch, so a wide tree is bounded too', () => {
    const wide = multipart(Array.from({ length: 9 }, () => leaf()));
    expect(structureProblem(wide, { mimeDepth: 10, mimeParts: 10 })).toBeUndefined();
    expect(structureProblem(wide, { mimeDepth: 10, mimeParts: 9 })?.message).toMatch(
      /more than 9 MIME parts/,
    );
  });

  it('walks 100,000 levels without recursion (no stack overflow), failing at the first level past the limit', () => {
    expect(structureProblem(nested(100_000, (n) => multipart([n])))?.message).toMatch(
      /deeper than 128/,
    );
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet } from '../../src/write/digest-set.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('DigestSet', () => {
  it('finds the digests added and no others', () => {
    const set = new DigestSet();
    const added = Array.from({ length: 1000 }, (_, i) => sha256(`added ${i}`));
    for (const digest of added) set.add(digest);
    expect(added.every((digest) => set.has(digest))).toBe(true);
    expect(Array.from({ length: 1000 }, (_, i) => set.has(sha256(`other ${i}`)))).not.toContain(
      true,
    );
    expect(set.size).toBe(1000);
  });

  it('keeps a key that is not a sha256 hex digest whole, apart from the shortened ones', () => {
    const set = new DigestSet();
    const digest = sha256('a message');
    // The 16 bytes a digest is held as, given as a key of its own: never the digest.
    const lookalike = Buffer.from(digest.slice(0, 32), 'hex').toString('latin1');
    set.add(lookalike);
    expect(set.has(digest)).toBe(false);
    set.add('k1');
    expect(set.has('k1')).toBe(true);
    expect(set.has('k2')).toBe(false);
    // Upper-case hex is another text, as it was with a plain Set.
    set.add(digest);
    expect(set.has(digest.toUpperCase())).toBe(false);
    expect(set.has(digest)).toBe(true);
  });
});

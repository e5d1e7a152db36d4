import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet, DigestUids } from '../../src/write/digest-set.js';

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

describe('DigestUids', () => {
  it('gives each digest its UIDs in the order added, and none for another', () => {
    const uids = new DigestUids();
    const digests = Array.from({ length: 500 }, (_, i) => sha256(`header ${i}`));
    digests.forEach((digest, i) => uids.add(digest, i + 1));
    uids.add(digests[7]!, 1000);
    uids.add(digests[7]!, 1001);
    expect(digests.map((digest) => uids.get(digest).length)).toEqual(
      digests.map((_, i) => (i === 7 ? 3 : 1)),
    );
    expect(uids.get(digests[7]!)).toEqual([8, 1000, 1001]);
    expect(uids.get(digests[499]!)).toEqual([500]);
    expect(uids.get(sha256('another header'))).toEqual([]);
  });

  it('keeps a key that is not a sha256 hex digest apart from the shortened ones', () => {
    const uids = new DigestUids();
    const digest = sha256('a header');
    uids.add(Buffer.from(digest.slice(0, 32), 'hex').toString('latin1'), 1);
    expect(uids.get(digest)).toEqual([]);
    uids.add('k1', 2);
    uids.add(digest, 3);
    expect([uids.get('k1'), uids.get(digest), uids.get(digest.toUpperCase())]).toEqual([
      [2],
      [3],
      [],
    ]);
  });
});

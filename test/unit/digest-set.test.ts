import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet, DigestUids } from '../../src/write/digest-set.js';
import { DigestTable, mixedHash } from '../../src/write/digest-table.js';

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

describe('DigestTable', () => {
  it('keeps every digest through its growth, and tells digests apart by all of their 128 bits', () => {
    const table = new DigestTable(false);
    // 20,000 digests: the table doubles five times from its 1,024 slots.
    const added = Array.from({ length: 20_000 }, (_, i) => sha256(`added ${i}`));
    for (const digest of added) table.add(digest);
    table.add(added[0]!);
    expect(table.size).toBe(20_000);
    expect(added.filter((digest) => !table.has(digest))).toEqual([]);
    expect(Array.from({ length: 20_000 }, (_, i) => table.has(sha256(`other ${i}`)))).not.toContain(
      true,
    );
    // Digests alike in their first 124 bits, each differing in one hex digit from the 25th
    // to the 32nd, and one differing only after the 128 bits (held as the same key).
    const base = sha256('base');
    table.add(base);
    const alike = Array.from({ length: 8 }, (_, i) => {
      const at = 24 + i;
      const digit = base[at] === '0' ? '1' : '0';
      return base.slice(0, at) + digit + base.slice(at + 1);
    });
    expect(alike.map((digest) => table.has(digest))).toEqual(alike.map(() => false));
    expect(table.has(base.slice(0, 32) + 'f'.repeat(32))).toBe(true);
  });

  it('keeps the UIDs of each digest in the order added, across growth', () => {
    const table = new DigestTable(true);
    const digests = Array.from({ length: 5000 }, (_, i) => sha256(`header ${i}`));
    table.add(digests[3]!, 7);
    digests.forEach((digest, i) => table.add(digest, 100 + i));
    table.add(digests[3]!, 4_294_967_295);
    expect(table.uidsOf(digests[3]!)).toEqual([7, 103, 4_294_967_295]);
    expect(table.uidsOf(digests[4999]!)).toEqual([5099]);
    expect(table.uidsOf(sha256('another'))).toEqual([]);
    expect(table.size).toBe(5000);
  });

  it('spreads keys made alike in all but a few bits over the slots, by seed', () => {
    // Someone grinding Message-IDs can fix some bits of a digest, never all 128. 10,000 keys
    // that differ only in one word's low bits, into 16,384 slots: spread at random, about
    // 7,500 slots are taken; a hash of fewer bits, or without the mixing, takes a handful.
    const slotsTaken = (word: number, seeds: Uint32Array): number => {
      const slots = new Set<number>();
      for (let i = 0; i < 10_000; i++) {
        const key = Uint32Array.of(0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321);
        key[word] = (key[word]! & ~0xffff) | i;
        slots.add(mixedHash(key, seeds) & 16_383);
      }
      return slots.size;
    };
    const seeds = Uint32Array.of(1, 2, 3, 4);
    for (const word of [0, 1, 2, 3]) expect(slotsTaken(word, seeds)).toBeGreaterThan(7000);
    const key = Uint32Array.of(5, 6, 7, 8);
    expect(mixedHash(key, seeds)).not.toBe(mixedHash(key, Uint32Array.of(1, 2, 3, 5)));
  });
});

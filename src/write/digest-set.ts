const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A set of sha256 digests given as hex, each held as the 16 bytes of its first half in a
 * one-byte string: about 32 bytes of heap instead of 80 for the text. A target folder's dedupe
 * index holds two per message, so a folder of 100,000 messages holds about 10 MB less (docs/
 * performance.md). 128 bits keep collisions out of reach (about 2^-64 at 2^32 messages). A key
 * that is not a sha256 hex digest is kept whole, in a set of its own, so it never meets a
 * shortened one.
 */
export class DigestSet {
  private readonly digests = new Set<string>();
  private readonly others = new Set<string>();

  add(key: string): void {
    const [set, at] = slotOf(key, this.digests, this.others);
    set.add(at);
  }

  has(key: string): boolean {
    const [set, at] = slotOf(key, this.digests, this.others);
    return set.has(at);
  }

  get size(): number {
    return this.digests.size + this.others.size;
  }
}

/**
 * UIDs by sha256 digest, keyed as DigestSet keys them, one UID held as a number and only more
 * as an array. The dedupe index holds one entry per message stored without a content hash
 * (every message the pipe copies): about 105 bytes of heap less per message than the hex text
 * and an array each (docs/performance.md, 2026-12-06, late, later).
 */
export class DigestUids {
  private readonly digests = new Map<string, number | number[]>();
  private readonly others = new Map<string, number | number[]>();

  add(key: string, uid: number): void {
    const [map, at] = slotOf(key, this.digests, this.others);
    const held = map.get(at);
    if (held === undefined) map.set(at, uid);
    else if (typeof held === 'number') map.set(at, [held, uid]);
    else held.push(uid);
  }

  get(key: string): readonly number[] {
    const [map, at] = slotOf(key, this.digests, this.others);
    const held = map.get(at);
    return held === undefined ? [] : typeof held === 'number' ? [held] : held;
  }
}

/**
 * Where a key is kept: a sha256 hex digest shortened, among the digests; any other key whole,
 * among the others, so that it never meets a shortened one.
 */
function slotOf<T>(key: string, digests: T, others: T): [T, string] {
  return SHA256_HEX.test(key) ? [digests, shortened(key)] : [others, key];
}

// A new flat string: a slice of the hex text would keep the whole text alive.
const shortened = (hex: string): string => Buffer.from(hex.slice(0, 32), 'hex').toString('latin1');

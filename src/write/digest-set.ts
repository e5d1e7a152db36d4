import { DigestTable, isSha256Hex } from './digest-table.js';

/**
 * A set of sha256 digests given as hex, held in a DigestTable: 16 bytes each outside V8's
 * heap. A key that is not a sha256 hex digest (upper-case hex among them) is kept whole, in a
 * Set of its own, so it never meets a digest.
 */
export class DigestSet {
  private readonly digests = new DigestTable(false);
  private readonly others = new Set<string>();

  add(key: string): void {
    if (isSha256Hex(key)) this.digests.add(key);
    else this.others.add(key);
  }

  has(key: string): boolean {
    return isSha256Hex(key) ? this.digests.has(key) : this.others.has(key);
  }

  get size(): number {
    return this.digests.size + this.others.size;
  }
}

/**
 * UIDs by sha256 digest, the digests held as DigestSet holds them. The dedupe index holds one
 * entry per message stored without a content hash (every message the pipe copies).
 */
export class DigestUids {
  private readonly digests = new DigestTable(true);
  private readonly others = new Map<string, number[]>();

  add(key: string, uid: number): void {
    if (isSha256Hex(key)) return this.digests.add(key, uid);
    const held = this.others.get(key);
    if (held) held.push(uid);
    else this.others.set(key, [uid]);
  }

  get(key: string): readonly number[] {
    return isSha256Hex(key) ? this.digests.uidsOf(key) : (this.others.get(key) ?? []);
  }
}

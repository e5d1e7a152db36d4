import type { PackedSource, SourcePacker } from './source-packer.js';

// Source bytes packed ahead of the step being written: more than a step of usual mail, so
// the worker is never idle while SQLite writes, and a bound on the copies in flight.
const PACK_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * Sources handed to the packer a few MB ahead of the step SQLite is writing, in the order
 * they will be stored: the batch being stored, then the one read meanwhile (expect), so the
 * packer thread goes on while this thread builds the next batch's rows. The copies in flight
 * are bounded whatever the sizes (at least one message).
 */
export class PackAhead {
  private readonly packing = new Map<Buffer, Promise<PackedSource>>();
  private readonly consumed = new WeakSet<Buffer>();
  private aheadBytes = 0;
  // The sources to pack, in order, and how far each list has been gone through.
  private upcoming: readonly Buffer[] = [];
  private following: readonly Buffer[] = [];
  private atUpcoming = 0;
  private atFollowing = 0;

  constructor(private readonly packer: SourcePacker) {}

  /** The sources to store next, in order. Packs started for others (duplicates) are dropped. */
  prepare(sources: readonly Buffer[]): void {
    const wanted = new Set(sources);
    this.upcoming = sources;
    this.following = this.following.filter((raw) => !wanted.has(raw));
    this.atUpcoming = this.atFollowing = 0;
    for (const raw of this.following) wanted.add(raw);
    for (const raw of [...this.packing.keys()]) if (!wanted.has(raw)) this.drop(raw);
    this.fill();
  }

  /** The next batch's sources, read while this one is stored: packed once this one's are. */
  expect(sources: readonly Buffer[]): void {
    this.following = sources;
    this.atFollowing = 0;
    this.fill();
  }

  /** A source's packing, started now when it was not ahead. */
  packed(raw: Buffer): Promise<PackedSource> {
    this.fill();
    const pending = this.packing.get(raw) ?? this.packer.pack(raw);
    this.drop(raw);
    this.consumed.add(raw);
    this.fill();
    return pending;
  }

  private drop(raw: Buffer): void {
    if (this.packing.delete(raw)) this.aheadBytes -= raw.length;
  }

  private next(): Buffer | undefined {
    if (this.atUpcoming < this.upcoming.length) return this.upcoming[this.atUpcoming++];
    if (this.atFollowing < this.following.length) return this.following[this.atFollowing++];
    return undefined;
  }

  private fill(): void {
    while (this.aheadBytes < PACK_AHEAD_BYTES || this.packing.size === 0) {
      const raw = this.next();
      if (!raw) return;
      if (this.packing.has(raw) || this.consumed.has(raw)) continue;
      this.packing.set(raw, this.packer.pack(raw));
      this.aheadBytes += raw.length;
    }
  }
}

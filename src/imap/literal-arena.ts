/**
 * Memory for the literals of one import batch, reused batch after batch. Each literal the FETCH
 * parser copies out of the socket was a Buffer of its own: it lives from its FETCH to its
 * APPEND's answer, long enough to leave V8's young generation, so its memory came back only
 * with a full collection, tens of MB later (docs/performance.md, 2026-12-04 night). An arena
 * hands out slices of a few large slabs instead; when the batch is stored, release() gives the
 * slabs back to the pool for the next batch, and no literal becomes garbage.
 *
 * The caller releases an arena only once nothing reads its literals any more. Should a slice
 * be read after that, the mail would be another message's bytes: with
 * IMAP_CONNECTOR_ARENA_POISON=1 (the test suite and the chaos run set it) released slabs are
 * overwritten at once, so such a read fails the byte-exact checks of the tests instead of
 * passing by luck.
 */

/** Slab size: one import batch's budget (IMPORT_BATCH_BYTES) fits in one slab. */
export const SLAB_BYTES = 4 * 1024 * 1024;
// What a released slab is overwritten with when poisoning is on.
const POISON = 0xdb;

let slabsReused = 0;
/** Slabs taken again from a pool in this process: the import's reuse, observable by its tests. */
export function slabReuses(): number {
  return slabsReused;
}

/**
 * Free slabs of SLAB_BYTES, shared by the arenas of one folder's copy. It keeps a few: about
 * three batches are alive at once (one read, one stored, one's last step in flight).
 */
export class SlabPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep = 4) {}

  take(): Buffer {
    const slab = this.free.pop();
    if (!slab) return Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabsReused++;
    return slab;
  }

  give(slab: Buffer): void {
    if (process.env.IMAP_CONNECTOR_ARENA_POISON === '1') slab.fill(POISON);
    if (slab.length === SLAB_BYTES && this.free.length < this.keep) this.free.push(slab);
  }
}

/** The literals of one batch: allocate() while it is read, release() once it is stored. */
export class LiteralArena {
  private readonly slabs: Buffer[] = [];
  private current: Buffer | undefined;
  private used = 0;
  private released = false;

  constructor(private readonly pool: SlabPool) {}

  /** `count` bytes for one literal, uninitialised. */
  readonly allocate = (count: number): Buffer => {
    if (this.released) throw new Error('LiteralArena: allocate() after release()');
    if (count > SLAB_BYTES) {
      // A message larger than a slab gets memory of its own, given back to nobody.
      const own = Buffer.allocUnsafeSlow(count);
      this.slabs.push(own);
      return own;
    }
    if (!this.current || this.used + count > this.current.length) {
      this.current = this.pool.take();
      this.slabs.push(this.current);
      this.used = 0;
    }
    const slice = this.current.subarray(this.used, this.used + count);
    this.used += count;
    return slice;
  };

  /** Gives the slabs back: every literal handed out is from now on another batch's memory. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const slab of this.slabs.splice(0)) this.pool.give(slab);
    this.current = undefined;
  }
}

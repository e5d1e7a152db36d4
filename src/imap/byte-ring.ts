/**
 * Reused memory for the pipe's bytes in flight (issue 30, item 4). Every source socket read is
 * a Buffer of its own, and those that wait for the destination outlive two scavenges: V8
 * promotes them, and their memory comes back only at a full collection, which their bytes
 * bring on. Copied into a ring as they arrive, the socket's Buffers die young, and the ring's
 * memory is used again once the destination's socket has written it.
 *
 * Each chunk copied in is a span, held by the reader that parses it and by each slice of it
 * still to be written; the ring takes memory back from its oldest span once that is let go,
 * in order. A span never let go (a fault that dropped its slices) only keeps the ring full:
 * the caller then drops the ring, and the memory goes with the last view of it.
 */

// Chunks copied, and chunks kept as they were for want of room: the tests see the ring used.
let ringCopies = 0;
let ringMisses = 0;
export function ringUseSoFar(): { copies: number; misses: number } {
  return { copies: ringCopies, misses: ringMisses };
}

/** A chunk's copy in the ring: its bytes stay put until every holder has let go. */
export class RingSpan {
  private holders = 1;

  constructor(
    private readonly ring: ByteRing,
    /** Where the copy starts, counted in bytes since the ring was made. */
    readonly start: number,
    readonly bytes: Buffer,
  ) {}

  /** One more holder (a slice of the span passed on). */
  hold(): void {
    this.holders++;
  }

  /** A holder is done with its bytes (written, or dropped). */
  letGo(): void {
    if (--this.holders === 0) this.ring.reclaim();
  }

  get free(): boolean {
    return this.holders <= 0;
  }
}

export class ByteRing {
  private readonly memory: Buffer;
  /** Bytes handed out since the ring was made; [tail, head) may still be held. */
  private head = 0;
  private tail = 0;
  private spans: RingSpan[] = [];
  private oldest = 0;

  constructor(readonly size: number) {
    this.memory = Buffer.allocUnsafeSlow(size);
  }

  /**
   * A copy of `chunk` in the ring, held once by the caller; undefined when the ring has no
   * room for it (the caller keeps the chunk itself).
   */
  copy(chunk: Buffer): RingSpan | undefined {
    const length = chunk.length;
    if (length === 0 || length > this.size) return undefined;
    // Nothing held: start again at the ring's first byte, so the pages in use stay few.
    if (this.head === this.tail)
      this.head = this.tail = Math.ceil(this.head / this.size) * this.size;
    let start = this.head;
    const offset = start % this.size;
    // A copy never wraps: the end of the lap is skipped and freed with the span after it.
    if (offset + length > this.size) start += this.size - offset;
    if (start + length - this.tail > this.size) {
      ringMisses++;
      return undefined;
    }
    ringCopies++;
    const at = start % this.size;
    chunk.copy(this.memory, at);
    const span = new RingSpan(this, start, this.memory.subarray(at, at + length));
    this.head = start + length;
    this.spans.push(span);
    return span;
  }

  /** Bytes that may still be held. */
  get used(): number {
    return this.head - this.tail;
  }

  /** Moves the tail past the oldest spans let go. */
  reclaim(): void {
    while (this.oldest < this.spans.length && this.spans[this.oldest]!.free) this.oldest++;
    if (this.oldest === this.spans.length) {
      this.spans = [];
      this.oldest = 0;
      this.tail = this.head;
      return;
    }
    this.tail = this.spans[this.oldest]!.start;
    if (this.oldest > 1024) {
      this.spans = this.spans.slice(this.oldest);
      this.oldest = 0;
    }
  }
}

// Rings let go by pipes that are done, for the next pipe (one per import running at once).
const idle: ByteRing[] = [];
const IDLE_KEPT = 4;

/** A ring of `size` bytes: one let go before, or a new one. */
export function takeRing(size: number): ByteRing {
  const i = idle.findIndex((ring) => ring.size === size);
  return i < 0 ? new ByteRing(size) : idle.splice(i, 1)[0]!;
}

/** Keeps a ring nothing holds for the next pipe; one still held is left to the collector. */
export function letGoRing(ring: ByteRing): void {
  if (ring.used === 0 && idle.length < IDLE_KEPT) idle.push(ring);
}

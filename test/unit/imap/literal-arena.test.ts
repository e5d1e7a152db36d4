import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiteralArena, SLAB_BYTES, SlabPool, slabReuses } from '../../../src/imap/literal-arena.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('LiteralArena', () => {
  it('hands out slices of one slab until it is full, then takes another', () => {
    const arena = new LiteralArena(new SlabPool());
    const a = arena.allocate(1000);
    const b = arena.allocate(2000);
    expect(a.buffer).toBe(b.buffer);
    expect(b.byteOffset).toBe(a.byteOffset + 1000);
    const c = arena.allocate(SLAB_BYTES - 2000);
    expect(c.buffer).not.toBe(a.buffer);
    expect([a.length, b.length, c.length]).toEqual([1000, 2000, SLAB_BYTES - 2000]);
  });

  it('gives a literal larger than a slab memory of its own, never kept by the pool', () => {
    const pool = new SlabPool();
    const arena = new LiteralArena(pool);
    const big = arena.allocate(SLAB_BYTES + 1);
    expect(big.length).toBe(SLAB_BYTES + 1);
    arena.release();
    const before = slabReuses();
    const next = new LiteralArena(pool).allocate(10);
    expect(next.buffer).not.toBe(big.buffer);
    expect(slabReuses()).toBe(before);
  });

  it("reuses a released arena's slabs for the next one, and refuses to allocate after release", () => {
    const pool = new SlabPool();
    const first = new LiteralArena(pool);
    const slice = first.allocate(100);
    first.release();
    first.release(); // twice is once
    const before = slabReuses();
    const second = new LiteralArena(pool);
    expect(second.allocate(100).buffer).toBe(slice.buffer);
    expect(slabReuses()).toBe(before + 1);
    expect(() => first.allocate(1)).toThrow(/after release/);
  });

  it('keeps at most `keep` free slabs', () => {
    const pool = new SlabPool(1);
    const arenas = [new LiteralArena(pool), new LiteralArena(pool)];
    const buffers = arenas.map((arena) => arena.allocate(10).buffer);
    for (const arena of arenas) arena.release();
    const again = [new LiteralArena(pool), new LiteralArena(pool)].map(
      (arena) => arena.allocate(10).buffer,
    );
    expect(buffers).toContain(again[0]);
    expect(buffers).not.toContain(again[1]);
  });

  it('overwrites released memory when poisoning is on, and leaves it as it was when off', () => {
    vi.stubEnv('IMAP_CONNECTOR_ARENA_POISON', '1');
    const poisoned = new LiteralArena(new SlabPool());
    const mail = poisoned.allocate(5);
    mail.write('hello');
    poisoned.release();
    expect([...mail]).toEqual([0xdb, 0xdb, 0xdb, 0xdb, 0xdb]);
    vi.stubEnv('IMAP_CONNECTOR_ARENA_POISON', '0');
    const plain = new LiteralArena(new SlabPool());
    const kept = plain.allocate(5);
    kept.write('hello');
    plain.release();
    expect(kept.toString()).toBe('hello');
  });
});

/**
 * The pipe's ring (issue 30, item 4): a copy's bytes stay put until every holder lets go, the
 * memory comes back oldest first, and a ring with no room says so instead of overwriting.
 */
import { describe, expect, it } from 'vitest';
import { ByteRing, letGoRing, takeRing } from '../../src/imap/byte-ring.js';

const bytes = (length: number, fill: number): Buffer => Buffer.alloc(length, fill);

describe('ByteRing', () => {
  it('copies a chunk exactly, into its own memory', () => {
    const ring = new ByteRing(64);
    const chunk = Buffer.from('* 1 FETCH (UID 7 BODY[] {5}\r\nhello');
    const span = ring.copy(chunk)!;
    expect(span.bytes.equals(chunk)).toBe(true);
    chunk.fill(0);
    expect(span.bytes.toString()).toBe('* 1 FETCH (UID 7 BODY[] {5}\r\nhello');
    expect(ring.used).toBe(34);
  });

  it('has no room while the oldest span is held, whatever the newer ones do', () => {
    const ring = new ByteRing(30);
    const first = ring.copy(bytes(10, 1))!;
    const second = ring.copy(bytes(10, 2))!;
    const third = ring.copy(bytes(10, 3))!;
    expect(ring.copy(bytes(1, 4))).toBeUndefined();
    second.letGo();
    third.letGo();
    expect(ring.copy(bytes(1, 4))).toBeUndefined();
    expect(first.bytes.every((b) => b === 1)).toBe(true);
    first.letGo();
    expect(ring.used).toBe(0);
    expect(ring.copy(bytes(30, 5))).toBeDefined();
  });

  it('keeps a span while a slice of it is held, after its reader let go', () => {
    const ring = new ByteRing(20);
    const span = ring.copy(bytes(12, 7))!;
    span.hold(); // a slice queued for the destination
    span.letGo(); // the reader is done with the chunk
    expect(ring.copy(bytes(12, 8))).toBeUndefined();
    span.letGo(); // the slice is written
    const next = ring.copy(bytes(12, 8))!;
    expect(next.bytes.every((b) => b === 8)).toBe(true);
  });

  it('never wraps a copy: the end of the lap is skipped, and held bytes are never written over', () => {
    const ring = new ByteRing(32);
    const a = ring.copy(bytes(12, 1))!;
    const b = ring.copy(bytes(12, 2))!;
    a.letGo();
    // 8 bytes left at the end of the lap: a 10-byte copy goes to the start, before b.
    const c = ring.copy(bytes(10, 3))!;
    expect(c.bytes.byteOffset - b.bytes.byteOffset).toBe(-12);
    expect(b.bytes.every((x) => x === 2)).toBe(true);
    // From the end of c to b's start only 2 bytes are free.
    expect(ring.copy(bytes(3, 4))).toBeUndefined();
    expect(ring.copy(bytes(2, 4))).toBeDefined();
    expect(b.bytes.every((x) => x === 2)).toBe(true);
  });

  it('starts again at its first byte once nothing is held', () => {
    const ring = new ByteRing(100);
    const a = ring.copy(bytes(30, 1))!;
    a.letGo();
    const b = ring.copy(bytes(90, 2))!;
    expect(b.bytes.byteOffset).toBe(a.bytes.byteOffset);
    expect(ring.copy(Buffer.alloc(0))).toBeUndefined();
    expect(ring.copy(bytes(101, 3))).toBeUndefined();
  });

  it('is kept for the next pipe only when nothing holds it', () => {
    const size = 4096 + Math.floor(Math.random() * 4096);
    const held = takeRing(size);
    const span = held.copy(bytes(10, 1))!;
    letGoRing(held);
    const other = takeRing(size);
    expect(other).not.toBe(held);
    span.letGo();
    letGoRing(other);
    expect(takeRing(size)).toBe(other);
  });
});

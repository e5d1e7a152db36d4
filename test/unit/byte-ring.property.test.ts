/**
 * The pipe's ring against a model (fast-check): random runs of copies, slices held and let go
 * in any order. A byte of a held span written over would put another message's bytes into an
 * APPEND (corrupt mail); every held span must read back as it was copied, and the ring must
 * take its memory back once nothing is held.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteRing, type RingSpan } from '../../src/imap/byte-ring.js';

type Step = { copy: number } | { hold: number } | { letGo: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.nat(700).map((n) => ({ copy: n + 1 })),
  fc.nat(1000).map((n) => ({ hold: n })),
  fc.nat(1000).map((n) => ({ letGo: n })),
  fc.nat(1000).map((n) => ({ letGo: n })),
);

describe('ByteRing (property)', () => {
  it('never writes over a held span, and gives all its memory back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 700, max: 3000 }),
        fc.array(step, { maxLength: 400 }),
        (size, steps) => {
          const ring = new ByteRing(size);
          const held: { span: RingSpan; copy: Buffer; holders: number }[] = [];
          let fill = 0;
          for (const s of steps) {
            if ('copy' in s) {
              const chunk = Buffer.alloc(s.copy, ++fill % 251);
              chunk[0] = fill % 256; // tells two copies of one length apart
              const span = ring.copy(chunk);
              if (span) held.push({ span, copy: Buffer.from(chunk), holders: 1 });
            } else if (held.length > 0) {
              const entry = held[('hold' in s ? s.hold : s.letGo) % held.length]!;
              if ('hold' in s) {
                entry.span.hold();
                entry.holders++;
              } else {
                entry.span.letGo();
                if (--entry.holders === 0) held.splice(held.indexOf(entry), 1);
              }
            }
            for (const entry of held) expect(entry.span.bytes.equals(entry.copy)).toBe(true);
          }
          for (const entry of held) while (entry.holders-- > 0) entry.span.letGo();
          expect(ring.used).toBe(0);
          expect(ring.copy(Buffer.alloc(size, 1))).toBeDefined();
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
  });
});

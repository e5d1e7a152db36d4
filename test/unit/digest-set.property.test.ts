/**
 * The dedupe index's key sets against a plain Set and Map (fast-check): a key the index says
 * it holds and never got would skip a message (lost mail), one it forgets would copy a message
 * twice. Random runs of adds and lookups over keys made to be alike: digests that share their
 * first 128 bits (held as one key, as documented), digests one hex digit apart within them,
 * upper-case hex and other text (kept whole, apart), across the table's growth.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestSet, DigestUids } from '../../src/write/digest-set.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A key from a pool of look-alikes: the variant says how it differs from its digest. */
const keyOf = ([seed, variant, digit]: [number, number, number]): string => {
  const digest = sha256(`message ${seed}`);
  switch (variant) {
    case 0:
      return digest;
    case 1: // the same first 128 bits, another second half: the same key
      return digest.slice(0, 32) + sha256(`other ${digit}`).slice(32);
    case 2: {
      // one hex digit of the first 32 changed: another key
      const at = digit % 32;
      return digest.slice(0, at) + (digest[at] === 'a' ? 'b' : 'a') + digest.slice(at + 1);
    }
    case 3:
      return digest.toUpperCase();
    default:
      return `<${seed}@example.test>`;
  }
};

/** What the key is, as the model sees it: a digest by its first 128 bits, any other text whole. */
const modelKey = (key: string): string =>
  /^[0-9a-f]{64}$/.test(key) ? `digest ${key.slice(0, 32)}` : `text ${key}`;

const key = fc.tuple(fc.nat(2500), fc.nat(4), fc.nat(63)).map(keyOf);
const operation = fc.tuple(
  fc.constantFrom('add', 'look'),
  key,
  fc.integer({ min: 1, max: 2 ** 32 - 1 }),
);
// Up to 4,000 steps over 2,500 seeds: tables past 819 and 1,638 keys, where they double.
// endOnFailure below: shrinking a failed run of thousands of steps takes many minutes; the
// unshrunk run is reported instead.
const runs = fc.array(operation, { minLength: 1000, maxLength: 4000, size: 'max' });

describe('the dedupe index keys against a Set and a Map', () => {
  it('DigestSet holds exactly the keys added', () => {
    fc.assert(
      fc.property(runs, (steps) => {
        const set = new DigestSet();
        const model = new Set<string>();
        for (const [kind, text] of steps) {
          if (kind === 'add') {
            set.add(text);
            model.add(modelKey(text));
          } else expect(set.has(text)).toBe(model.has(modelKey(text)));
        }
        expect(set.size).toBe(model.size);
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });

  it('DigestUids gives each key exactly its UIDs, in the order added', () => {
    fc.assert(
      fc.property(runs, (steps) => {
        const uids = new DigestUids();
        const model = new Map<string, number[]>();
        for (const [kind, text, uid] of steps) {
          if (kind === 'add') {
            uids.add(text, uid);
            const held = model.get(modelKey(text));
            if (held) held.push(uid);
            else model.set(modelKey(text), [uid]);
          } else expect(uids.get(text)).toEqual(model.get(modelKey(text)) ?? []);
        }
      }),
      { numRuns: 60, endOnFailure: true },
    );
  });
});

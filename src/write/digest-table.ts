import { getRandomValues } from 'node:crypto';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const INITIAL_SLOTS = 1024;
// Linear probing stays short below this load; the table doubles past it.
const MAX_LOAD = 0.8;
const EMPTY = 0;
const ONE = 1;
const MANY = 2;

/** Whether a key is a sha256 digest as lower-case hex: the keys a DigestTable holds. */
export const isSha256Hex = (key: string): boolean => SHA256_HEX.test(key);

/**
 * sha256 digests (given as lower-case hex) held as the 128 bits of their first half in one
 * typed array, with open addressing: 17 bytes a slot (21 with a UID), 21-53 bytes a key at the
 * table's load, outside V8's heap, where a string in a Set or Map took about 60 bytes inside
 * it, for the collector to mark at every full collection. A dedupe index holds two keys per
 * message stored (docs/performance.md). 128 bits keep collisions out of reach (about 2^-64 at
 * 2^32 messages).
 *
 * A slot holds either nothing, one UID, or more UIDs kept in a Map aside (rare: messages with
 * the same header digest). The slot's index comes from all 128 bits mixed with words drawn
 * at random per table, so that messages made to share a prefix of their digest (someone
 * grinding Message-IDs) cannot pile up on one run of slots.
 */
export class DigestTable {
  private keys = new Uint32Array(INITIAL_SLOTS * 4);
  private states = new Uint8Array(INITIAL_SLOTS);
  // Only for a table of UIDs: a set of digests has none to hold.
  private uids: Uint32Array;
  private readonly more = new Map<string, number[]>();
  private readonly seeds = getRandomValues(new Uint32Array(4));
  private count = 0;
  // The key being looked up, as four words: parsed once per call, without allocating.
  private readonly key = new Uint32Array(4);

  constructor(withUids: boolean) {
    this.uids = new Uint32Array(withUids ? INITIAL_SLOTS : 0);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the digest; with a UID, adds it to the digest's UIDs (in the order added). */
  add(hex: string, uid = 0): void {
    this.parse(hex);
    let slot = this.slotOf();
    if (this.states[slot] === EMPTY) {
      if (this.count + 1 > this.states.length * MAX_LOAD) {
        this.grow();
        slot = this.slotOf();
      }
      this.place(slot, ONE, uid);
      this.count++;
      return;
    }
    if (uid === 0) return;
    if (this.states[slot] === ONE) {
      this.more.set(moreKey(hex), [this.uids[slot]!, uid]);
      this.states[slot] = MANY;
    } else this.more.get(moreKey(hex))!.push(uid);
  }

  has(hex: string): boolean {
    this.parse(hex);
    return this.states[this.slotOf()] !== EMPTY;
  }

  /** The UIDs added with the digest, oldest first; none if it was never added. */
  uidsOf(hex: string): readonly number[] {
    this.parse(hex);
    const slot = this.slotOf();
    const state = this.states[slot];
    if (state === EMPTY) return [];
    return state === ONE ? [this.uids[slot]!] : this.more.get(moreKey(hex))!;
  }

  /** The first 32 hex digits as four words (the caller has checked the text is hex). */
  private parse(hex: string): void {
    for (let word = 0; word < 4; word++) {
      let value = 0;
      for (let i = word * 8; i < word * 8 + 8; i++) {
        const code = hex.charCodeAt(i);
        value = (value << 4) | (code <= 57 ? code - 48 : code - 87);
      }
      this.key[word] = value;
    }
  }

  /** The slot holding the parsed key, or the empty slot where it would go. */
  private slotOf(): number {
    const { keys, states, key } = this;
    const mask = states.length - 1;
    let slot = mixedHash(key, this.seeds) & mask;
    while (states[slot] !== EMPTY) {
      const at = slot * 4;
      if (
        keys[at] === key[0] &&
        keys[at + 1] === key[1] &&
        keys[at + 2] === key[2] &&
        keys[at + 3] === key[3]
      )
        return slot;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  private place(slot: number, state: number, uid: number): void {
    this.keys.set(this.key, slot * 4);
    this.states[slot] = state;
    if (this.uids.length > 0) this.uids[slot] = uid;
  }

  /** Twice the slots, every key placed anew (their slots depend on the table's size). */
  private grow(): void {
    const { keys, states, uids } = this;
    const pending = this.key.slice();
    this.keys = new Uint32Array(keys.length * 2);
    this.states = new Uint8Array(states.length * 2);
    this.uids = new Uint32Array(uids.length * 2);
    for (let slot = 0; slot < states.length; slot++) {
      if (states[slot] === EMPTY) continue;
      this.key.set(keys.subarray(slot * 4, slot * 4 + 4));
      this.place(this.slotOf(), states[slot]!, uids[slot] ?? 0);
    }
    this.key.set(pending);
  }
}

// A new flat string of the digest's first half: a slice of the hex text would keep it all alive.
const moreKey = (hex: string): string => Buffer.from(hex.slice(0, 32), 'hex').toString('latin1');

/**
 * A 32-bit hash of a 128-bit key (four words), every bit of it mixed with a seed word: keys
 * alike in all but a few bits still land far apart, and where depends on the seeds.
 */
export function mixedHash(key: Uint32Array, seeds: Uint32Array): number {
  let h = Math.imul(key[0]! ^ seeds[0]!, 0x9e3779b1);
  h = Math.imul(h ^ key[1]! ^ seeds[1]!, 0x85ebca77);
  h = Math.imul(h ^ key[2]! ^ seeds[2]!, 0xc2b2ae3d);
  h = Math.imul(h ^ key[3]! ^ seeds[3]!, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca6b);
  return (h ^ (h >>> 13)) >>> 0;
}

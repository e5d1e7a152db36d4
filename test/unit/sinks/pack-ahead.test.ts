import { describe, expect, it } from 'vitest';
import { PackAhead } from '../../../src/sinks/pack-ahead.js';
import type { PackedSource, SourcePacker } from '../../../src/sinks/source-packer.js';

const MB = 1024 * 1024;

/** A packer that records what it was given; its answers say which source they are for. */
function recordingPacker(): { packer: SourcePacker; packed: Buffer[] } {
  const packed: Buffer[] = [];
  const packer = {
    pack(raw: Buffer): Promise<PackedSource> {
      packed.push(raw);
      return Promise.resolve({ compressed: raw, codec: 0, sha256: names([raw])[0]! });
    },
  } as unknown as SourcePacker;
  return { packer, packed };
}

const source = (name: string, size = MB): Buffer => {
  const raw = Buffer.alloc(size, 0x20);
  raw.write(name);
  return raw;
};
// Compared by name: a failing comparison of megabyte buffers takes minutes to print.
const names = (sources: readonly Buffer[]): string[] =>
  sources.map((raw) => raw.toString('latin1', 0, 8).trim());

describe('PackAhead', () => {
  it('packs at most 4 MB ahead, in store order, each source once', async () => {
    const { packer, packed } = recordingPacker();
    const ahead = new PackAhead(packer);
    const batch = Array.from({ length: 10 }, (_, i) => source(`a${i}`));
    ahead.prepare(batch);
    expect(names(packed)).toEqual(names(batch.slice(0, 4)));
    for (const [i, raw] of batch.entries()) {
      expect((await ahead.packed(raw)).sha256).toBe(`a${i}`);
      // The window stays full: four sources ahead of the one being stored, or what is left.
      expect(packed.length).toBe(Math.min(10, i + 5));
    }
    expect(names(packed)).toEqual(names(batch));
  });

  it('goes on into the next batch once read, and keeps those packs when it is prepared', async () => {
    const { packer, packed } = recordingPacker();
    const ahead = new PackAhead(packer);
    const first = [source('f0'), source('f1')];
    const second = [source('s0'), source('s1'), source('s2')];
    ahead.prepare(first);
    ahead.expect(second);
    // The window reaches past the first batch into the second.
    expect(names(packed)).toEqual(names([...first, ...second.slice(0, 2)]));
    for (const raw of first) await ahead.packed(raw);
    expect(names(packed)).toEqual(names([...first, ...second]));
    ahead.prepare(second);
    for (const raw of second) await ahead.packed(raw);
    expect(names(packed)).toEqual(names([...first, ...second]));
  });

  it('drops what the next batch turned out not to store (duplicates), and never packs it again', async () => {
    const { packer, packed } = recordingPacker();
    const ahead = new PackAhead(packer);
    const next = [source('n0', 100), source('dup', 100), source('n2', 100)];
    ahead.expect(next);
    expect(names(packed)).toEqual(names(next));
    ahead.prepare([next[0]!, next[2]!]);
    await ahead.packed(next[0]!);
    await ahead.packed(next[2]!);
    expect(names(packed)).toEqual(names(next));
    // A source already stored, listed again, is not packed again.
    ahead.expect([next[0]!]);
    expect(names(packed)).toEqual(names(next));
  });

  it('packs a source it was never told of when asked for it', async () => {
    const { packer, packed } = recordingPacker();
    const ahead = new PackAhead(packer);
    const lone = source('lone', 10);
    expect((await ahead.packed(lone)).sha256).toBe('lone');
    expect(names(packed)).toEqual(names([lone]));
  });
});

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sourceKey } from '../../../src/sinks/archive-blob.js';
import {
  packerThreadRunning,
  packSourceSync,
  SourcePacker,
} from '../../../src/sinks/source-packer.js';
import { REPO_ROOT } from '../../helpers/repo-files.js';
import { tempDir } from '../../helpers/temp-dir.js';

const sources = Array.from({ length: 40 }, (_, i) =>
  Buffer.concat([
    Buffer.from(`Subject: packed ${i}\r\n\r\n${'text of the message '.repeat(50 + i * 40)}\r\n`),
    i % 10 === 0 ? Buffer.from(randomBytes(200_000).toString('base64')) : Buffer.alloc(0),
  ]),
);

/** Packs `raws` on the worker thread: each by its own bytes, as the calling thread would. */
async function expectPackedOnItsThread(raws: readonly Buffer[]): Promise<void> {
  const packer = new SourcePacker();
  const packed = await Promise.all(raws.map((raw) => packer.pack(raw)));
  // The fast path is on: were the worker gone, the same bytes would come from this thread.
  expect(packer.offThread).toBe(true);
  for (const [i, raw] of raws.entries()) {
    expect(packed[i]!.sha256).toBe(sourceKey(raw));
    expect(brotliDecompressSync(packed[i]!.compressed).equals(raw)).toBe(true);
    expect(packed[i]!.compressed.equals(packSourceSync(raw).compressed)).toBe(true);
  }
  await packer.close();
}

describe('SourcePacker', () => {
  it('packs on its worker thread what the calling thread would, for sources in any order', async () => {
    await expectPackedOnItsThread(sources);
  });

  it('packs sources that share their memory (a slab, the Buffer pool) by their own bytes, leaving that memory usable', async () => {
    const slab = Buffer.alloc(64 * 1024, 'x');
    const views = [slab.subarray(0, 100), slab.subarray(100, 5000), Buffer.from('Subject: s\r\n')];
    await expectPackedOnItsThread(views);
    // Nothing of the shared memory was transferred away (a detached buffer reads as empty).
    expect(slab.buffer.byteLength).toBe(64 * 1024);
    expect(views.map((raw) => raw.length)).toEqual([100, 4900, 12]);
  });

  it('packs what it had not answered when closed, then packs in the calling thread', async () => {
    const packer = new SourcePacker();
    const pending = sources.map((raw) => packer.pack(raw));
    await packer.close();
    const packed = await Promise.all(pending);
    expect(packed.map((p) => p.sha256)).toEqual(sources.map(sourceKey));
    // Closed, it packs in the calling thread.
    expect((await packer.pack(sources[1]!)).sha256).toBe(sourceKey(sources[1]!));
  });

  it('packs in the calling thread, losing nothing, when its worker dies mid-way', async () => {
    const packer = new SourcePacker();
    const pending = sources.map((raw) => packer.pack(raw));
    // The worker gone as an out-of-memory kill would take it; the test reaches into the class.
    await (
      packer as unknown as { thread: { worker: { terminate(): Promise<number> } } }
    ).thread.worker.terminate();
    const packed = await Promise.all(pending);
    expect(packed.map((p) => p.sha256)).toEqual(sources.map(sourceKey));
    expect(packer.offThread).toBe(false);
    await packer.close();
  });

  it('is one thread for every packer open at once, stopped a while after the last closes', async () => {
    // A batch's mailboxes each have a packer: one thread for all, not one started per mailbox.
    const threadOf = (packer: SourcePacker): unknown =>
      (packer as unknown as { thread: unknown }).thread;
    const first = new SourcePacker();
    const second = new SourcePacker();
    expect(threadOf(first)).toBeDefined();
    expect(threadOf(second)).toBe(threadOf(first));
    const [a, b] = await Promise.all([first.pack(sources[2]!), second.pack(sources[3]!)]);
    expect([a.sha256, b.sha256]).toEqual([sourceKey(sources[2]!), sourceKey(sources[3]!)]);
    await first.close();
    // The next mailbox, opened as the last one closes, takes the same thread over.
    const third = new SourcePacker();
    expect(threadOf(third)).toBe(threadOf(second));
    await second.close();
    await third.close();
    expect(packerThreadRunning()).toBe(true);
    const deadline = Date.now() + 10_000;
    while (packerThreadRunning() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(packerThreadRunning()).toBe(false);
    // Stopped, it starts again for the next packer.
    const fourth = new SourcePacker();
    expect((await fourth.pack(sources[4]!)).sha256).toBe(sourceKey(sources[4]!));
    expect(fourth.offThread).toBe(true);
    await fourth.close();
  });

  it('never keeps a process alive: idle from the start, or after packing', () => {
    // A host that forgets close() must still exit (the second run of a killed CLI import hung).
    const module = JSON.stringify(`${REPO_ROOT}/dist/src/sinks/source-packer.js`);
    for (const pack of [false, true]) {
      // A file, as a host runs: with -e the worker was let go even before the fix.
      const script = join(tempDir(), 'host.mjs');
      writeFileSync(
        script,
        `import { SourcePacker } from ${module};
        const packer = new SourcePacker();
        ${pack ? "await packer.pack(Buffer.from('a message'));" : ''}`,
      );
      const result = spawnSync(process.execPath, [script], { timeout: 10_000 });
      expect({ pack, status: result.status, signal: result.signal }).toEqual({
        pack,
        status: 0,
        signal: null,
      });
    }
  });
});

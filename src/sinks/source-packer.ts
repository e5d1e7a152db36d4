/**
 * Packs message sources for the archive (Brotli and SHA-256) on a worker thread. Node's async
 * zlib keeps the main thread as busy as the sync call does for Brotli (measured: 412 ms of
 * event loop for 53 MB against 374 ms sync), so an import into the archive spent a fifth of
 * its main thread compressing while the network waited. On a worker the main thread only
 * copies each source over (about a quarter of that time) and goes on reading and writing.
 */
import { Worker } from 'node:worker_threads';
import { BROTLI_OPTIONS, compressSourceSync, sourceKey } from './archive-blob.js';

/** A source as the archive stores it: its Brotli bytes and the SHA-256 of its exact bytes. */
export interface PackedSource {
  compressed: Buffer;
  sha256: string;
}

/** Packs a source in the calling thread. */
export function packSourceSync(raw: Buffer): PackedSource {
  return { compressed: compressSourceSync(raw), sha256: sourceKey(raw) };
}

interface Pending {
  raw: Buffer;
  resolve(packed: PackedSource): void;
}

/**
 * The worker's whole program. It is sent as source text (Worker eval) rather than as a file,
 * so the connector still works when bundled into one file; it may use only its arguments.
 */
function packerMain(
  port: import('node:worker_threads').MessagePort,
  zlib: typeof import('node:zlib'),
  crypto: typeof import('node:crypto'),
  options: import('node:zlib').BrotliOptions,
): void {
  port.on('message', (job: { id: number; raw: Uint8Array }) => {
    const compressed = zlib.brotliCompressSync(job.raw, options);
    const sha256 = crypto.createHash('sha256').update(job.raw).digest('hex');
    // Copied back, not transferred: a small result may sit in Node's shared Buffer pool,
    // which Node 24 refuses to transfer.
    port.postMessage({ id: job.id, compressed, sha256 });
  });
}

const WORKER_SOURCE = `const threads = require('node:worker_threads');
(${packerMain.toString()})(threads.parentPort, require('node:zlib'), require('node:crypto'), threads.workerData);`;

/**
 * One worker thread packing sources in the order given. Should the worker fail to start or
 * die, what it had not answered is packed in the calling thread instead: slower, never lost.
 * The worker keeps the process alive only while it has work.
 */
export class SourcePacker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Whether sources go to the worker thread (false once it failed). */
  offThread = true;

  constructor() {
    try {
      this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: BROTLI_OPTIONS });
    } catch {
      this.offThread = false;
      return;
    }
    this.worker.on('message', (answer: { id: number; compressed: Uint8Array; sha256: string }) => {
      const job = this.pending.get(answer.id);
      if (!job) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) this.worker?.unref();
      const { buffer, byteOffset, byteLength } = answer.compressed;
      job.resolve({
        compressed: Buffer.from(buffer, byteOffset, byteLength),
        sha256: answer.sha256,
      });
    });
    const worker = this.worker;
    const failed = (): void => {
      if (this.worker !== worker) return; // closed on purpose
      this.offThread = false;
      this.packPendingHere();
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
  }

  pack(raw: Buffer): Promise<PackedSource> {
    if (!this.worker) return Promise.resolve(packSourceSync(raw));
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { raw, resolve });
      if (this.pending.size === 1) this.worker!.ref();
      // Copied, not transferred: the source's memory may be shared with other messages.
      this.worker!.postMessage({ id, raw });
    });
  }

  /** Stops the worker; sources still waiting are packed here. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.packPendingHere();
    await worker.terminate();
  }

  private packPendingHere(): void {
    this.worker = undefined;
    for (const job of this.pending.values()) job.resolve(packSourceSync(job.raw));
    this.pending.clear();
  }
}

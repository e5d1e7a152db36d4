/**
 * Packs message sources for the archive (base64-runs.ts, and SHA-256) on a worker thread. Node's async
 * zlib keeps the main thread as busy as the sync call does for Brotli (measured: 412 ms of
 * event loop for 53 MB against 374 ms sync), so an import into the archive spent a fifth of
 * its main thread compressing while the network waited. On a worker the main thread only
 * copies each source over (about a quarter of that time) and goes on reading and writing.
 */
import * as crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { BROTLI_OPTIONS } from './archive-blob.js';
import {
  PACK_FUNCTION_NAME,
  PACKING_SOURCE,
  packSourceWith,
  type PackedSource,
} from './base64-runs.js';

export type { PackedSource };

/** Packs a source in the calling thread. */
export function packSourceSync(raw: Buffer): PackedSource {
  const { compressed, codec, sha256 } = packSourceWith(raw, zlib, crypto, BROTLI_OPTIONS);
  return { compressed: asBuffer(compressed), codec, sha256 };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
  pack: typeof packSourceWith,
): void {
  port.on('message', (job: { id: number; raw: Uint8Array }) => {
    const packed = pack(job.raw, zlib, crypto, options);
    // Transferred when its memory is its own and mostly used (a codec-1 blob is a view of a
    // buffer sized for the worst case); else copied back: a small result may sit in Node's
    // shared Buffer pool, which Node 24 refuses to transfer.
    const { buffer, byteLength } = packed.compressed;
    const own = buffer.byteLength > Buffer.poolSize && byteLength * 2 >= buffer.byteLength;
    port.postMessage({ id: job.id, ...packed }, own ? [buffer as ArrayBuffer] : []);
  });
}

const WORKER_SOURCE = `const threads = require('node:worker_threads');
${PACKING_SOURCE}
(${packerMain.toString()})(threads.parentPort, require('node:zlib'), require('node:crypto'), threads.workerData, ${PACK_FUNCTION_NAME});`;

// The thread's young generation, in MB: decoding attachments leaves short-lived strings, and
// V8 would let that space grow to 32 MB before collecting it.
const YOUNG_GENERATION_MB = 4;

// How long the thread outlives the last packer: a batch's next mailbox (parallel 1) takes it
// over instead of starting one (about 50 ms of CPU each, a fifth of a 200-message mailbox's
// packing in the batch bench).
const IDLE_STOP_MS = 2000;

/**
 * The process's one packer thread, shared by every packer open at the time (a batch's
 * mailboxes in parallel): one thread packs about 170 MB/s at Brotli quality 2, more than one
 * main thread imports. Should it fail to start or die, its users pack in their own thread.
 */
class PackerThread {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private users = 0;
  private idleStop: NodeJS.Timeout | undefined;
  /** Set once the worker is gone, on purpose or not: the next packer starts another. */
  gone = false;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: BROTLI_OPTIONS,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    this.worker.on('message', (answer: { id: number } & ReturnType<typeof packSourceWith>) => {
      const job = this.pending.get(answer.id);
      if (!job) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) this.worker.unref();
      const { compressed, codec, sha256 } = answer;
      job.resolve({ compressed: asBuffer(compressed), codec, sha256 });
    });
    const failed = (): void => {
      if (this.gone) return; // stopped on purpose
      this.stop();
    };
    this.worker.on('error', failed);
    this.worker.on('exit', failed);
    // After the listeners: adding a 'message' listener refs the worker again.
    this.worker.unref();
  }

  pack(raw: Buffer): Promise<PackedSource> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { raw, resolve });
      if (this.pending.size === 1) this.worker.ref();
      // An exact copy, transferred: posting the source itself would copy all the memory it
      // shares with other messages (Node's 8 KB pool, an import's 4 MB slab), not its bytes.
      const copy = new Uint8Array(raw);
      this.worker.postMessage({ id, raw: copy }, [copy.buffer]);
    });
  }

  join(): void {
    this.users++;
    clearTimeout(this.idleStop);
    this.idleStop = undefined;
  }

  /** A packer is done; the last one lets the thread stop once idle a while. */
  leave(): void {
    if (--this.users > 0 || this.gone) return;
    this.idleStop = setTimeout(() => {
      if (this.users === 0) this.stop();
    }, IDLE_STOP_MS);
    this.idleStop.unref();
  }

  /** Stops the thread; what it had not answered is packed in the calling thread. */
  stop(): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.idleStop);
    if (shared === this) shared = undefined;
    for (const job of this.pending.values()) job.resolve(packSourceSync(job.raw));
    this.pending.clear();
    void this.worker.terminate();
  }
}

let shared: PackerThread | undefined;

/** The shared thread, started when there is none; undefined when a worker cannot start. */
function sharedThread(): PackerThread | undefined {
  if (shared && !shared.gone) return shared;
  try {
    shared = new PackerThread();
  } catch {
    shared = undefined;
  }
  return shared;
}

/** Whether the process's packer thread is running (for tests and diagnostics). */
export function packerThreadRunning(): boolean {
  return shared !== undefined && !shared.gone;
}

/**
 * Packs sources on the process's packer thread. Should that thread fail to start or die, what
 * it had not answered, and all this packer packs after, is packed in the calling thread:
 * slower, never lost. The thread keeps the process alive only while it has work.
 */
export class SourcePacker {
  private thread: PackerThread | undefined;

  constructor() {
    this.thread = sharedThread();
    this.thread?.join();
  }

  /** Whether sources go to the worker thread (false once it failed or this packer closed). */
  get offThread(): boolean {
    return this.thread !== undefined && !this.thread.gone;
  }

  pack(raw: Buffer): Promise<PackedSource> {
    if (!this.offThread) return Promise.resolve(packSourceSync(raw));
    return this.thread!.pack(raw);
  }

  /**
   * Done packing: sources still waiting are answered as they come, and the thread stops once
   * no packer has used it for a while. After this, packing happens in the calling thread.
   */
  close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    thread?.leave();
    return Promise.resolve();
  }
}

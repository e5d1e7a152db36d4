import type { CliIo } from './io.js';
import type { RowOutput } from './row-output.js';
import { writeStateFile } from './state-file.js';

/**
 * Where a `read --state` run continues, never ahead of what its reader got (issue 24): rows
 * in a file are durable at each commit, rows in a pipe only once the reader read them all.
 */
export class ReadDelivery {
  /** A cursor whose rows went into a pipe: saved only once the run ended cleanly. */
  private unproven: string | undefined;

  constructor(
    private readonly sink: RowOutput,
    private readonly io: CliIo,
    private readonly statePath: string | undefined,
    private readonly outPath: string | undefined,
  ) {}

  /** Makes the rows so far durable and records where the next run continues. */
  checkpoint(cursor: string): void {
    const bytes = this.sink.commit();
    if (!this.statePath) return;
    if (!this.sink.provesEachCommit) {
      this.unproven = cursor;
      return;
    }
    writeStateFile(this.statePath, {
      cursor,
      ...(this.outPath && bytes !== undefined ? { out: { path: this.outPath, bytes } } : {}),
    });
  }

  /**
   * The run ended cleanly: once the pipe's reader read every row (the pipe drained), its
   * cursor is saved. A reader that went away with rows unread is a closed pipe: nothing is saved.
   */
  async deliver(): Promise<void> {
    if (this.unproven === undefined || !this.statePath) return;
    await this.io.flush?.();
    if (this.io.outputClosed?.()) throw pipeClosedError();
    const drained = await this.io.pipeDrained?.(this.io.signal);
    if (drained === false || this.io.outputClosed?.()) throw pipeClosedError();
    writeStateFile(this.statePath, { cursor: this.unproven });
  }
}

function pipeClosedError(): Error {
  return Object.assign(new Error('the reader of the output went away'), { pipeClosed: true });
}

/** Whether a read stopped because the reader of its output went away ("| head"). */
export function readerWentAway(error: unknown, io: CliIo): boolean {
  return Boolean(io.outputClosed?.() || (error as { pipeClosed?: boolean }).pipeClosed);
}

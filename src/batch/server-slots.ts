/**
 * At most N connections to any one server at a time, over every mailbox of a batch (and its
 * preflight). A mailbox takes one slot on each server it uses before it starts and gives them
 * back when it ends, whatever happens; waiters are served in order. A server that throttles
 * the batch or refuses one more session gets one slot fewer from then on (never below one):
 * the batch lowers its pace rather than knocking again at the same rate.
 */
import type { Logger } from '../operation-options.js';

export class ServerSlots {
  private readonly inUse = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  /** The most slots ever held at once per server: what a test or a report can check. */
  readonly peak = new Map<string, number>();
  /** Servers whose cap was lowered, with the cap they have now. */
  readonly lowered = new Map<string, number>();

  constructor(private readonly perServer: number) {}

  private capOf(server: string): number {
    return this.lowered.get(server) ?? this.perServer;
  }

  /** One slot fewer for `server` from now on (at least one); returns its cap. */
  lower(server: string): number {
    const cap = Math.max(1, this.capOf(server) - 1);
    if (cap < this.perServer) this.lowered.set(server, cap);
    return cap;
  }

  private async take(server: string): Promise<void> {
    const used = this.inUse.get(server) ?? 0;
    if (used < this.capOf(server)) {
      this.inUse.set(server, used + 1);
      this.peak.set(server, Math.max(this.peak.get(server) ?? 0, used + 1));
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(server) ?? [];
      queue.push(resolve);
      this.waiting.set(server, queue);
    });
    // The slot was handed over by give(): inUse already counts it.
  }

  private give(server: string): void {
    const used = this.inUse.get(server) ?? 1;
    // Over a lowered cap, the slot is not handed on: the count comes down to the cap first.
    const next = used <= this.capOf(server) ? this.waiting.get(server)?.shift() : undefined;
    if (next) next();
    else this.inUse.set(server, used - 1);
  }

  /** Runs `work` holding one slot on each of `servers` (the same server twice takes two). */
  async with<T>(servers: string[], work: () => Promise<T>): Promise<T> {
    // Always in the same order, so two mailboxes never wait on each other's slot.
    const ordered = [...servers].sort();
    const held: string[] = [];
    try {
      for (const server of ordered) {
        await this.take(server);
        held.push(server);
      }
      return await work();
    } finally {
      for (const server of held.reverse()) this.give(server);
    }
  }
}

/** `server` throttled the batch: one connection fewer to it from now on, said in the log. */
export function throttledBy(slots: ServerSlots, server: string, logger: Logger | undefined): void {
  const cap = slots.lower(server);
  logger?.warn({
    msg: `${server} throttled the batch: at most ${cap} connections to it from now on`,
    server,
    connections: cap,
  });
}

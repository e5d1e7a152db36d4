/**
 * At most N connections to any one server at a time, over every mailbox of a batch (and its
 * preflight). A mailbox takes one slot on each server it uses before it starts and gives them
 * back when it ends, whatever happens; waiters are served in order.
 */
export class ServerSlots {
  private readonly inUse = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  /** The most slots ever held at once per server: what a test or a report can check. */
  readonly peak = new Map<string, number>();

  constructor(private readonly perServer: number) {}

  private async take(server: string): Promise<void> {
    const used = this.inUse.get(server) ?? 0;
    if (used < this.perServer) {
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
    const next = this.waiting.get(server)?.shift();
    if (next) next();
    else this.inUse.set(server, (this.inUse.get(server) ?? 1) - 1);
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

/**
 * At most N connections to any one server at a time, over every mailbox of a batch (and its
 * preflight). A server is a host and a port: two servers on one host are two servers. A
 * mailbox takes all its slots at once, and on one server at most that server's cap (a mailbox
 * whose source and destination are one server needs two connections there; with a cap of one
 * it takes the one slot and opens both): it never holds some slots while it waits for others,
 * so mailboxes cannot wait on each other, nor one on itself (issue 24). Waiters are served in
 * order, each as soon as all it needs is free. A server that throttles the batch or refuses one
 * more session gets one slot fewer from then on (never below one).
 */
import type { Logger } from '../operation-options.js';

interface Waiter {
  servers: Map<string, number>;
  /** Called with the slots taken for it, at the moment they were free. */
  grant: (taken: Map<string, number>) => void;
}

export class ServerSlots {
  private readonly inUse = new Map<string, number>();
  private readonly waiting: Waiter[] = [];
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

  /** Slots a mailbox takes on `server` for `wanted` connections: never more than the cap. */
  private need(server: string, wanted: number): number {
    return Math.min(wanted, this.capOf(server));
  }

  private fits(servers: Map<string, number>): boolean {
    for (const [server, wanted] of servers)
      if ((this.inUse.get(server) ?? 0) + this.need(server, wanted) > this.capOf(server))
        return false;
    return true;
  }

  private take(servers: Map<string, number>): Map<string, number> {
    const taken = new Map<string, number>();
    for (const [server, wanted] of servers) {
      const held = (this.inUse.get(server) ?? 0) + this.need(server, wanted);
      this.inUse.set(server, held);
      this.peak.set(server, Math.max(this.peak.get(server) ?? 0, held));
      taken.set(server, this.need(server, wanted));
    }
    return taken;
  }

  private give(taken: Map<string, number>): void {
    for (const [server, count] of taken)
      this.inUse.set(server, Math.max(0, (this.inUse.get(server) ?? 0) - count));
    // Everyone who now fits goes, in the order they came.
    for (let i = 0; i < this.waiting.length; ) {
      const waiter = this.waiting[i]!;
      if (!this.fits(waiter.servers)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      waiter.grant(this.take(waiter.servers));
    }
  }

  /** Runs `work` holding a slot on each of `servers` (the same server twice wants two). */
  async with<T>(servers: string[], work: () => Promise<T>): Promise<T> {
    const wanted = new Map<string, number>();
    for (const server of servers) wanted.set(server, (wanted.get(server) ?? 0) + 1);
    // Served in order: a newcomer that fits still waits behind an earlier waiter.
    const taken =
      this.waiting.length === 0 && this.fits(wanted)
        ? this.take(wanted)
        : await new Promise<Map<string, number>>((grant) =>
            this.waiting.push({ servers: wanted, grant }),
          );
    try {
      return await work();
    } finally {
      this.give(taken);
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

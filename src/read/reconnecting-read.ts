import { reconnectPolicy, type Reconnect } from '../imap/reconnect.js';
import { ReadFaults } from './read-faults.js';
import type { OperationOptions } from '../operation-options.js';
import {
  openReadContext,
  type PreparedRead,
  type ReadContext,
  type StreamSelection,
} from './read-context.js';

/**
 * A read's session that is opened again after a connection fault: `attempt(work)` runs `work`
 * on the current session and, when the connection was cut, stalled or throttled, closes it,
 * waits, opens a new one and runs `work` again from the caller's last durable state. The count
 * of attempts starts over after each success, so a long run survives a fault every few
 * thousand messages, not only the first few.
 */
export class ReconnectingRead {
  private ctx: ReadContext | undefined;
  private readonly policy: Reconnect;
  // Kept across sessions: a message whose FETCH drops the connection every time is given up on.
  private readonly readFaults: ReadFaults;
  private retrying = true;

  constructor(
    private readonly prepared: PreparedRead,
    private readonly options: OperationOptions & StreamSelection,
  ) {
    this.policy = reconnectPolicy(prepared.config, options);
    this.readFaults = new ReadFaults(prepared.config.reconnectAttempts);
  }

  /**
   * @param onNewSession called after a session was replaced (drop what was tied to the old one).
   * @throws the last error when it is no connection fault or the attempts are spent.
   */
  async attempt<T>(work: (ctx: ReadContext) => Promise<T>, onNewSession?: () => void): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const givenUp = this.readFaults.givenUpSoFar;
      try {
        this.ctx ??= {
          ...(await openReadContext(this.prepared, this.options, this.policy.pace)),
          readFaults: this.readFaults,
        };
        return await work(this.ctx);
      } catch (error) {
        if (this.ctx) {
          await this.ctx.session.close();
          this.ctx = undefined;
          onNewSession?.();
        }
        // A message given up on by this fault is progress: its row can be given now.
        if (this.readFaults.givenUpSoFar > givenUp) attempt = 1;
        if (!this.retrying || !(await this.policy.again(error, attempt)))
          throw this.policy.givenUp(error);
      }
    }
  }

  /** From now on a fault ends the attempt under way: its caller is leaving. */
  stopRetrying(): void {
    this.retrying = false;
  }

  async close(): Promise<void> {
    await this.ctx?.session.close();
    this.ctx = undefined;
  }
}

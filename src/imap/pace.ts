/**
 * The pace of one run against its server, lowered after the server throttled it (issue 12): a
 * server that said "slow down" and is asked again at full speed right after the pause throttles
 * again, and a run that meets that on every step spends its reconnect budget without moving.
 * Each throttle doubles a pause between steps (a FETCH batch, an APPEND step), from 250 ms up
 * to 30 s; every 25 steps in a row without a throttle halve it, so a run slowed by a passing
 * storm comes back to full speed by itself.
 */
import type { Logger } from '../operation-options.js';
import { sleep } from '../sleep.js';

const FIRST_PAUSE_MS = 250;
const MAX_PAUSE_MS = 30_000;
const CALM_STEPS = 25;

export class Pace {
  private pause = 0;
  private calm = 0;
  private throttles = 0;

  constructor(private readonly logger?: Logger | undefined) {}

  /** The pause now taken before each step, in ms (0 at full speed). */
  get pauseMs(): number {
    return this.pause;
  }

  /** How often the server throttled this run. */
  get throttled(): number {
    return this.throttles;
  }

  /** The server throttled: double the pause between steps. */
  slowDown(): void {
    this.throttles += 1;
    this.calm = 0;
    this.pause = Math.min(MAX_PAUSE_MS, Math.max(FIRST_PAUSE_MS, this.pause * 2));
    this.logger?.warn({
      msg: `The server throttled this run: ${this.pause} ms between steps from now on`,
      pauseMs: this.pause,
    });
  }

  /**
   * Called before each step: waits the pause, and after enough calm steps halves it. At full
   * speed it returns at once.
   * @throws ABORTED when the signal fires during the pause.
   */
  async step(signal: AbortSignal | undefined): Promise<void> {
    if (this.pause === 0) return;
    await sleep(this.pause, signal);
    this.calm += 1;
    if (this.calm < CALM_STEPS) return;
    this.calm = 0;
    this.pause = this.pause / 2 < FIRST_PAUSE_MS ? 0 : Math.round(this.pause / 2);
    this.logger?.info({
      msg: `No throttling for ${CALM_STEPS} steps: ${this.pause} ms between steps`,
      pauseMs: this.pause,
    });
  }
}

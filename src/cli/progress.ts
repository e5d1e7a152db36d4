/**
 * One status line on a terminal, redrawn on a timer (four times a second) rather than when
 * rows arrive: rows come in bursts of a page, so a line drawn per row froze between pages and
 * showed the rate of the first row. The rate is measured over the last few seconds, so it and
 * the ETA follow the actual pace, and no ETA is guessed before there is a pace to go by.
 */

import { formatDuration } from '../date-text.js';

const REDRAW_MS = 250;
// Long enough to smooth over page bursts, short enough to follow a change of pace.
const RATE_WINDOW_MS = 5000;

interface Sample {
  at: number;
  count: number;
}

/** Counts things and their recent pace. */
export class Pace {
  private samples: Sample[] = [];
  count = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.samples.push({ at: now(), count: 0 });
  }

  add(count = 1): void {
    this.count += count;
  }

  /** Things per second over the window, once at least a second of it has passed; else undefined. */
  rate(): number | undefined {
    const now = this.now();
    this.samples.push({ at: now, count: this.count });
    while (this.samples.length > 2 && now - this.samples[1]!.at >= RATE_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (now - first.at) / 1000;
    return seconds >= 1 ? (this.count - first.count) / seconds : undefined;
  }
}

/** Redraws `render()` on the terminal every 250 ms until finish(). */
export class StatusLine {
  private readonly timer: ReturnType<typeof setInterval>;
  private width = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly render: () => string,
  ) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    // The line must never keep the process alive.
    this.timer.unref?.();
  }

  draw(): void {
    const text = this.render();
    // Pad over what a longer previous line left behind.
    this.out.write(`\r${text.padEnd(this.width)}`);
    this.width = Math.max(this.width, text.length);
  }

  finish(): void {
    clearInterval(this.timer);
    this.draw();
    this.out.write('\n');
  }
}

/** Rows read so far, of how many if known, at what pace, and when they will be done. */
export class Progress {
  private readonly pace: Pace;
  private readonly line: StatusLine;

  constructor(
    out: { write(text: string): unknown },
    private readonly total: number | undefined,
    now: () => number = Date.now,
  ) {
    this.pace = new Pace(now);
    this.line = new StatusLine(out, () => this.text());
  }

  add(count = 1): void {
    this.pace.add(count);
  }

  text(): string {
    const rows = this.pace.count;
    const rate = this.pace.rate();
    const of = this.total === undefined ? '' : ` of ${this.total}`;
    const pace = rate === undefined ? '' : `  ${Math.round(rate)}/s`;
    const eta =
      this.total !== undefined && rate !== undefined && rate > 0 && rows < this.total
        ? `  ETA ${formatDuration((this.total - rows) / rate)}`
        : '';
    return `  ${rows}${of} rows${pace}${eta}`;
  }

  finish(): void {
    this.line.finish();
  }
}

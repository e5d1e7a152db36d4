/** A one-line progress display for a terminal: rows, rate, and ETA when the total is known. */
export class Progress {
  private rows = 0;
  private readonly started = Date.now();
  private lastDrawn = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly total: number | undefined,
  ) {}

  add(count = 1): void {
    this.rows += count;
    // Redraw at most ten times a second: a terminal is slower than the reader.
    if (Date.now() - this.lastDrawn >= 100) this.draw();
  }

  draw(): void {
    this.lastDrawn = Date.now();
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.rows / seconds;
    const total = this.total === undefined ? '' : ` of ${this.total}`;
    const eta =
      this.total !== undefined && rate > 0
        ? `  ETA ${Math.max(0, Math.round((this.total - this.rows) / rate))}s`
        : '';
    this.out.write(`\r  ${this.rows}${total} rows  ${Math.round(rate)}/s${eta}   `);
  }

  finish(): void {
    this.draw();
    this.out.write('\n');
  }
}

/**
 * Delay between messages, in seconds, as users type it in import products: "2", "0.5",
 * ".5" and "1/2" are all accepted. Returns milliseconds, or undefined when unreadable.
 */
export function parseDelayMs(value: number | string): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  const fraction = /^(\d+)\s*\/\s*(\d+)$/.exec(text);
  if (fraction) {
    const denominator = Number(fraction[2]);
    return denominator === 0 ? undefined : Math.round((Number(fraction[1]) / denominator) * 1000);
  }
  if (/^(\d+(\.\d+)?|\.\d+)$/.test(text)) return Math.round(Number(text) * 1000);
  return undefined;
}

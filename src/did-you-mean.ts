/**
 * Near-miss suggestions for unknown names (options, commands, fields): a module of its own, so
 * the CLI can suggest without loading the validators (ajv and every schema).
 */

/** Levenshtein distance between two names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}

/** ` (did you mean "x"?)` for a near miss among the known names, else an empty string. */
export function didYouMean(name: string, known: string[]): string {
  const best = known
    .map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) }))
    .sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(name.length / 3))
    ? ` (did you mean "${best.k}"?)`
    : '';
}

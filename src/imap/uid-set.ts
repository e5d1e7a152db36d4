/** UIDs (ascending) -> the shortest sequence-set text, e.g. 1:4,7,9:10. */
export function toUidSet(uids: number[]): string {
  const parts: string[] = [];
  let start = uids[0];
  let previous = start;
  for (const uid of [...uids.slice(1), undefined]) {
    if (uid !== undefined && previous !== undefined && uid === previous + 1) {
      previous = uid;
      continue;
    }
    if (start !== undefined) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
    start = uid;
    previous = uid;
  }
  return parts.join(',');
}

/** "4:6,9" -> [4, 5, 6, 9]; a range of more than 100,000 (from a broken server) gives nothing. */
export function expandUidSet(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const [from, to] = part.split(':').map(Number);
    if (!Number.isInteger(from)) return [];
    if (to === undefined) return [from!];
    const low = Math.min(from!, to);
    const high = Math.max(from!, to);
    return high - low > 100_000 ? [] : Array.from({ length: high - low + 1 }, (_, i) => low + i);
  });
}

/**
 * Runs `work` on every item, at most `parallel` at a time, and returns the results in item
 * order. One item's failure does not stop the others: `work` reports failures in its result;
 * a throw (an abort) stops taking new items and is rethrown once the running ones end.
 */
export async function runPool<T, R>(
  items: readonly T[],
  parallel: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let stopped: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!stopped && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, index);
      } catch (error) {
        stopped ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  if (stopped) throw stopped.error;
  return results;
}

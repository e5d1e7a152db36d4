/** Waits `ms` milliseconds (delays between messages, lock retries). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

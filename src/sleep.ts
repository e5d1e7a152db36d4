import { makeError } from './errors.js';

/**
 * Waits `ms` milliseconds (delays between messages, lock retries); with a signal, an abort
 * ends the wait at once with ABORTED.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error of a call its caller cancelled. */
export function abortedError(): ReturnType<typeof makeError> {
  return makeError('ABORTED', 'The operation was cancelled by the caller.');
}

import { makeError, type ConnectorError, type ErrorCode } from '../errors.js';

/**
 * One time budget for one operation (the model is imapflow's ConnectionDeadline): every
 * phase races against what is left, every expiry is the same TimeoutError code, and an
 * AbortSignal rejects with ABORTED.
 */
export class Deadline {
  private readonly endsAt: number;

  constructor(
    readonly budgetMs: number,
    private readonly code: ErrorCode,
    private readonly signal?: AbortSignal,
  ) {
    this.endsAt = Date.now() + budgetMs;
  }

  remaining(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  /** @throws TimeoutError or ABORTED when no time is left, before a phase starts. */
  check(): void {
    if (this.signal?.aborted) throw this.abortError();
    if (this.remaining() === 0) throw this.timeoutError();
  }

  /** Settles like `promise`, or rejects when the budget runs out or the signal aborts. */
  race<T>(promise: Promise<T>, onExpire?: () => void): Promise<T> {
    try {
      this.check();
    } catch (error) {
      // Already over before it began: the work was started, so nobody may be left to hear it fail.
      promise.catch(() => undefined);
      onExpire?.();
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (error: ConnectorError): void => {
        finish();
        onExpire?.();
        reject(error);
      };
      const onAbort = (): void => fail(this.abortError());
      const timer = setTimeout(() => fail(this.timeoutError()), this.remaining());
      this.signal?.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(error);
        },
      );
    });
  }

  private timeoutError(): ConnectorError {
    return makeError(this.code, `No answer within the timeout of ${this.budgetMs} ms.`, {
      details: { timeoutMs: this.budgetMs },
    });
  }

  private abortError(): ConnectorError {
    return makeError('ABORTED', 'The operation was aborted by the caller.');
  }
}

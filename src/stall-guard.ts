/**
 * A run that waits on something that can never happen (a slot its own mailbox holds, a promise
 * nobody settles) leaves Node with nothing to do, and Node then exits with code 0 as if all
 * went well (issue 24: a deadlocked batch exited 0 with no report). Node says so first with
 * 'beforeExit': a run that is still pending then has stalled, and is failed as INTERNAL, so
 * its caller reports it and exits non-zero. In a host that keeps serving (Node-RED, the
 * console) the event loop never empties and this never fires.
 */
import { makeError, type ConnectorError } from './errors.js';

export interface StallGuard {
  /** Rejects with INTERNAL when the process would exit while the run is pending. */
  stalled: Promise<never>;
  /** The run has settled: stop watching. */
  cancel(): void;
}

export function watchForStall(what: string): StallGuard {
  let onBeforeExit: (() => void) | undefined;
  const stalled = new Promise<never>((_, reject) => {
    onBeforeExit = () => reject(stallError(what));
    process.once('beforeExit', onBeforeExit);
  });
  stalled.catch(() => undefined); // raced by the caller; never an unhandled rejection
  return {
    stalled,
    cancel: () => {
      if (onBeforeExit) process.removeListener('beforeExit', onBeforeExit);
    },
  };
}

export function stallError(what: string): ConnectorError {
  return makeError(
    'INTERNAL',
    `The ${what} stalled: it waited for something that can no longer happen, so it was ended.`,
  );
}

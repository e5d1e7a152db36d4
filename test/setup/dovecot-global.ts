import type { TestProject } from 'vitest/node';
import { startDovecot, type DovecotInfo } from '../helpers/dovecot.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dovecot: DovecotInfo;
  }
}

/** Starts the run's private Dovecot once; it is stopped by PID when the run ends. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startDovecot();
  const { stop, ...info } = server;
  project.provide('dovecot', info);
  return stop;
}

/**
 * Debian's Chromium driven by playwright-core: no browser is downloaded, the executable is the
 * system's (/usr/bin/chromium, or CHROMIUM_PATH). Headless, with background networking,
 * component updates and sync off, so a test browser talks to nothing but the page under test.
 * Screenshots go to test-artifacts/ (kept by CI, ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { systemProgram } from './system-package.js';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  const executablePath =
    process.env.CHROMIUM_PATH ?? systemProgram(['/usr/bin/chromium'], ['chromium'], 'Chromium');
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--no-first-run',
      '--disable-dev-shm-usage',
      // Root (CI) cannot use Chromium's user-namespace sandbox.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
}

/** Where a test keeps a screenshot: test-artifacts/NAME.png. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, `${name}.png`);
}

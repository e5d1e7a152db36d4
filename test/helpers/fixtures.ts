import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT as PACKAGE_ROOT } from './repo-files.js';

/** A fixture message from test/fixtures/eml, with CRLF line ends as RFC 5322 wants. */
export function eml(name: string): Buffer {
  const text = readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'eml', name), 'utf8');
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'));
}

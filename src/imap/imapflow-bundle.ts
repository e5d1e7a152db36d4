/**
 * imapflow, the internals of it the connector calls, and libmime, as one module. The
 * build replaces this module's JavaScript in dist/ by one esbuild bundle of them
 * (scripts/bundle-imapflow.ts): Node then loads one file instead of about 90 (imapflow's own
 * and those of its dependencies): 37-45 ms where the separate files took 315-345 (measured
 * 2026-12-05), and 21-26 MB less RSS (issue 30, memory at rest; scripts/bundle-slimming.ts
 * says what the bundle leaves out). Tests that run the sources import the packages
 * themselves; cli-startup.int.test.ts fails when the built code loads any of them instead of
 * the bundle.
 */
import libmimeModule from 'libmime';

export { ImapFlow } from 'imapflow';
export { default as imapCompiler } from 'imapflow/lib/handler/imap-compiler.js';
export { getStructuredParams, parseBodystructure, parseEnvelope } from 'imapflow/lib/tools.js';
/**
 * The libmime imapflow decodes with: one copy, in the bundle, for both FETCH paths. Typed here
 * (libmime has no types) so the declarations a host type-checks import nothing untyped.
 */
export const libmime: { decodeWords(value: string): string } = libmimeModule;

/**
 * The names stream hosts know a folder's stream by (issue 26). Hosts use a stream's name as a
 * table, a file or a key: PyAirbyte 0.12's cache takes it as a file path (`Archive/2023` breaks
 * it), every PyAirbyte refuses a name with no Latin letter or digit (`日本語`), target-jsonl
 * writes `<name>.jsonl`. So a stream is named:
 *
 * - by the folder's own name when that is already a plain identifier (`INBOX`, `Sent`,
 *   `Archive_2023`): letters, digits and `_`, a letter first, at most 63 characters, not
 *   ending like a suffixed name, and no other folder with the same name in another case;
 * - else by a slug of it (accents dropped, every other run of characters one `_`, at most 40
 *   characters; `folder` when nothing is left) and `_` plus the first 8 hex digits of the
 *   SHA-256 of the folder's path (UTF-8): `Archive/2023` is `Archive_2023_5b1e0c2d`.
 *
 * The name depends on the folder's path alone (and on a twin in another case), so it is the
 * same on every run; two folders never share one. Records keep the real path in `folder`, and
 * each stream's schema names its folder.
 */
import { createHash } from 'node:crypto';
import type { Stream } from '../read/discover.js';

const PLAIN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const SUFFIXED = /_[0-9a-f]{8}(?:[0-9a-f]{8})?$/;
const SLUG_LENGTH = 40;

function slugOf(folder: string): string {
  const slug = folder
    .normalize('NFKD')
    .replace(/\p{Mn}/gu, '')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, SLUG_LENGTH)
    .replace(/_+$/, '');
  return /^[A-Za-z]/.test(slug) ? slug : slug ? `folder_${slug}` : 'folder';
}

function digestOf(folder: string, hexDigits: number): string {
  return createHash('sha256').update(folder, 'utf8').digest('hex').slice(0, hexDigits);
}

/** Each folder's stream name, for the folders one account has (see the file's comment). */
export function streamNamesOf(folders: readonly string[]): Map<string, string> {
  const byLowerCase = new Map<string, number>();
  for (const folder of folders)
    byLowerCase.set(folder.toLowerCase(), (byLowerCase.get(folder.toLowerCase()) ?? 0) + 1);
  const plain = (folder: string): boolean =>
    PLAIN.test(folder) && !SUFFIXED.test(folder) && byLowerCase.get(folder.toLowerCase()) === 1;
  const names = new Map<string, string>();
  for (const folder of folders)
    names.set(folder, plain(folder) ? folder : `${slugOf(folder)}_${digestOf(folder, 8)}`);
  // Two slugs alike and 32 bits of digest alike: both take 64 bits instead.
  const taken = new Map<string, number>();
  for (const name of names.values()) taken.set(name, (taken.get(name) ?? 0) + 1);
  for (const [folder, name] of names)
    if (taken.get(name)! > 1) names.set(folder, `${slugOf(folder)}_${digestOf(folder, 16)}`);
  return names;
}

/** A discovered stream as hosts see it: its host name, its folder's real path kept. */
export interface HostStream extends Stream {
  /** The IMAP folder path (Unicode), which read() and the cursor use. */
  folder: string;
  /** Marks a stream renamed for hosts, so that no catalog is made of raw folder names. */
  readonly forHosts: true;
}

/** discover()'s streams renamed for hosts. */
export function hostStreams(streams: readonly Stream[]): HostStream[] {
  const names = streamNamesOf(streams.map((stream) => stream.folder));
  return streams.map((stream) => ({ ...stream, name: names.get(stream.folder)!, forHosts: true }));
}

/**
 * The stream a host asked for by name: its host name, or (a catalog or state made before
 * streams were renamed) the folder's path itself.
 */
export function streamNamed(streams: readonly HostStream[], name: string): HostStream | undefined {
  return (
    streams.find((stream) => stream.name === name) ??
    streams.find((stream) => stream.folder === name)
  );
}

/** A stream's schema that names its folder, for hosts that show a stream's description. */
export function schemaNamingFolder(
  schema: Record<string, unknown>,
  folder: string,
): Record<string, unknown> {
  return {
    ...schema,
    description: `Messages of the IMAP folder ${JSON.stringify(folder)}, a row each.`,
    'x-imap-folder': folder,
  };
}

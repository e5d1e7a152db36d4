/**
 * A console batch's settings edited from its page: the form's fields over the stored profile,
 * and the batch's folder under a new name.
 */
import { readdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';

type Fields = Record<string, unknown>;

/**
 * A server's settings from the form over the stored ones: what the form shows (server, port,
 * security) is taken as typed, an emptied port or security goes back to its default, and what
 * the form does not show (a master user, timeouts set in the file) stays.
 */
function serverSettings(stored: unknown, typed: unknown): Fields {
  const { port: _port, security: _security, ...kept } = (stored ?? {}) as Fields;
  return { ...kept, ...(typed as Fields) };
}

/** The destination chosen in the form; settings that belong to the other kind are dropped. */
function destinationSettings(stored: unknown, typed: unknown): Fields {
  const { imap } = typed as Fields;
  const before = (stored ?? {}) as Fields;
  const { archive: _archive, imap: _imap, login, masterUser, existing, ...common } = before;
  if (!imap) return { ...common, ...(typed as Fields) };
  return {
    ...common,
    ...(login !== undefined ? { login } : {}),
    ...(masterUser !== undefined ? { masterUser } : {}),
    ...(existing !== undefined ? { existing } : {}),
    imap: serverSettings(before.imap, imap),
  };
}

/**
 * The New batch form's settings (source, destination, throttle) over a stored profile; every
 * other setting of the profile stays.
 */
export function mergedSettings(current: Fields, settings: Fields): Fields {
  return {
    ...current,
    source: serverSettings(current.source, settings.source),
    destination: destinationSettings(current.destination, settings.destination),
    throttle: { ...(current.throttle as object), ...(settings.throttle as object) },
  };
}

/** Moves `<dir>/<name>` to `target`; its reports (`<name>-runN.*`) take the new name too. */
export function renameBatchFolder(dir: string, name: string, target: string): void {
  renameSync(join(dir, name), target);
  const newName = basename(target);
  for (const file of readdirSync(target))
    if (file.startsWith(`${name}-run`))
      renameSync(join(target, file), join(target, newName + file.slice(name.length)));
}

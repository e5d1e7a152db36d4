/**
 * An import whose destination is its own source account (the same server, the same login,
 * over any port or protocol: IMAP and POP3 reach one INBOX) must not read a folder it writes.
 * A folder copied into itself finds each message as its own duplicate, so a post-read delete
 * or move removes the only copy; a folder the import writes that it also reads is copied into
 * itself again on every run (Backup/INBOX into Backup/Backup/INBOX); a post-read move into a
 * folder it writes puts every message there twice. Refused after the folders are listed and
 * before anything is emptied, copied or acted on.
 */
import type { Config } from '../config/validate-config.js';
import { makeError } from '../errors.js';
import type { FolderInfo } from '../folder-info.js';
import { sameFolder } from '../imap/mailbox-name.js';
import { inboxFingerprint } from '../imap/inbox-fingerprint.js';
import type { Session } from '../imap/open-session.js';
import { serverAddress } from '../imap/server-address.js';
import type { Destination } from './import-destination.js';
import type { PreparedImport } from './prepare-import.js';

/**
 * The account a connection logs in to: its server's address (any port) and its identity. A
 * master user opens a mailbox by authzid, or in Dovecot's own form "user*master" (with
 * `auth_master_user_separator = *`), which opens "user" too.
 */
async function accountOf(config: Config): Promise<string> {
  const address = await serverAddress(config.host, 0);
  const identity = config.authorizationIdentity ?? config.username.split('*')[0]!;
  return `${identity.toLowerCase()} at ${address}`;
}

/**
 * Whether the destination is the source account: the same identity on the same address, and
 * for an IMAP source the same INBOX (its UIDVALIDITY, UIDNEXT and message count), so that two
 * servers side by side on one host (other ports, the same user names) are told apart. A POP3
 * source has no INBOX status to compare: the address and identity decide.
 */
async function sameAccount(
  prepared: PreparedImport,
  destination: Destination,
  sourceSession: Session | undefined,
): Promise<boolean> {
  const target = prepared.destination;
  if (target.kind !== 'imap' || !destination.sink.inboxFingerprint) return false;
  if ((await accountOf(prepared.source)) !== (await accountOf(target.config))) return false;
  if (!sourceSession) return true;
  return (await inboxFingerprint(sourceSession)) === (await destination.sink.inboxFingerprint());
}

/**
 * `sources`: the folders whose mail is copied (mapped to their destination folders); `read`:
 * the folders the source reads, the same but for POP3 (which reads INBOX); `sourceSession`:
 * the IMAP source's session (none for POP3).
 * @throws CONFIG_INVALID naming the folder the import would read and write.
 */
export async function refuseReadingWhatItWrites(
  prepared: PreparedImport,
  destination: Destination,
  sources: readonly FolderInfo[],
  { read = sources, sourceSession }: { read?: readonly FolderInfo[]; sourceSession?: Session },
): Promise<void> {
  if (!destination.sink.placeOf) return;
  // Into its own INBOX, a POP3 download harms nothing but with its delete (each run finds every
  // message there already); two servers side by side with the same user names stay usable.
  if (!sourceSession && prepared.postReadAction.type !== 'delete') return;
  if (!(await sameAccount(prepared, destination, sourceSession))) return;
  for (const source of sources) {
    const written = await destination.sink.placeOf(
      source,
      await destination.state.destinationOf(source.path),
    );
    const action = prepared.postReadAction;
    if (action.type === 'move' && sameFolder(action.folder, written))
      throw makeError(
        'CONFIG_INVALID',
        `The destination is the source account, and the post-read action moves each message to ${JSON.stringify(action.folder)}, where this import puts its copy (from ${JSON.stringify(source.path)}): every message would be there twice. Use the delete action, or map the folder elsewhere (folderMapping).`,
        { field: '/postReadAction' },
      );
    const both = read.find((folder) => sameFolder(folder.path, written));
    if (!both) continue;
    const what =
      both === source
        ? `${JSON.stringify(source.path)} would be copied into itself`
        : `${JSON.stringify(both.path)} is read by this import and written by it (${JSON.stringify(source.path)} goes there)`;
    throw makeError(
      'CONFIG_INVALID',
      `The destination is the source account, and ${what}: every message would be found as its own copy (a post-read delete or move would remove the only one), or copied again on every run. Exclude that folder from the import (foldersExclude) or map it to another folder (folderMapping).`,
      { field: '/destination' },
    );
  }
}

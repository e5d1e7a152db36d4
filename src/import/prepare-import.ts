import { assertRole, validateConfig, type Config } from '../config/validate-config.js';
import { ConfigError } from '../errors.js';
import { usePop3Ports } from '../pop3/pop3-ports.js';
import { prepareRead, type ReadPlan } from '../read/prepare-read.js';
import { shortHash } from '../read/cursor.js';
import { depthIssue, formatIssues, tooDeepAt, validateImportSchema } from '../validators.js';
import type { FolderMapOptions } from '../write/map-folder.js';
import type { DedupeMode } from '../write/message-identity.js';
import type { PostReadAction } from './post-read-action.js';

/** An import job as a host or the CLI describes it (schemas/import.schema.json). */
export interface ImportSpec {
  destination: { archive: string; account?: string } | { connection: unknown; state: string };
  query?: string | object;
  dedupe?: DedupeMode;
  folderPrefix?: string;
  folderMapping?: Record<string, string>;
  /** The source's sent items folder when its server does not mark it \Sent. */
  sentFolder?: string;
  postReadAction?: PostReadAction;
  /**
   * Replace mode (the panel's "replace"): before the job's first run, empty the destination
   * folders it writes. Once per job: later runs and a run after a crash go on incrementally.
   */
  replace?: boolean;
  /**
   * The source speaks POP3, not IMAP: its messages go to `folder` (default INBOX); without
   * a port, 995 for security tls and 110 otherwise.
   */
  pop3?: { folder?: string };
  /** Seconds to wait for another run of the same job to finish (default 0: fail with JOB_BUSY). */
  waitForLock?: number;
  /** Carry flag changes of messages copied earlier to the destination (default true). */
  syncFlags?: boolean;
  /**
   * Remove from the destination the copies of messages deleted (or moved away) at the source
   * since they were copied (default false; never with a move or delete post-read action).
   */
  mirrorDeletions?: boolean;
}

/** Everything an import needs that can be checked without a server. */
export interface PreparedImport {
  source: Config;
  plan: ReadPlan;
  destination:
    | { kind: 'archive'; path: string; account?: string }
    | { kind: 'imap'; config: Config; statePath: string };
  mode: DedupeMode;
  mapping: FolderMapOptions;
  postReadAction: PostReadAction;
  replace: boolean;
  syncFlags: boolean;
  mirrorDeletions: boolean;
  /** A POP3 source: the folder its messages go to. */
  pop3?: { folder: string };
  /** Names this job in the state: same source, destination, query and mapping = same job. */
  job: string;
  lockWaitMs: number;
}

function prefixed(error: unknown, pointer: string): never {
  if (error instanceof ConfigError)
    throw new ConfigError(
      error.issues.map((issue) => ({
        field: `${pointer}${issue.field === '/' ? '' : issue.field}`,
        message: `${pointer.slice(1)}: ${issue.message}`,
      })),
    );
  throw error;
}

/**
 * Validates the source connection, the job spec, the target connection and the query.
 * @throws CONFIG_INVALID (fields of the target are named /destination/connection/...), QUERY_INVALID.
 */
export function prepareImport(sourceInput: unknown, specInput: unknown): PreparedImport {
  const source = validateConfig(sourceInput);
  assertRole(source, 'source');
  const deep = tooDeepAt(specInput);
  if (deep !== undefined) throw new ConfigError([depthIssue(deep)]);
  const spec = structuredClone(specInput) as ImportSpec;
  if (!validateImportSchema(spec)) throw new ConfigError(formatIssues(validateImportSchema.errors));
  let destination: PreparedImport['destination'];
  if ('archive' in spec.destination) {
    if (spec.replace)
      throw new ConfigError([
        {
          field: '/replace',
          message:
            'replace empties IMAP folders before importing; an archive keeps what it stored (it is an archive).',
        },
      ]);
    destination = {
      kind: 'archive',
      path: spec.destination.archive,
      ...(spec.destination.account ? { account: spec.destination.account } : {}),
    };
  } else {
    let target: Config;
    try {
      target = validateConfig(spec.destination.connection);
    } catch (error) {
      prefixed(error, '/destination/connection');
    }
    assertRole(target, 'target', '/destination/connection');
    destination = { kind: 'imap', config: target, statePath: spec.destination.state };
  }
  checkMirror(spec);
  // Ports follow the validated spec: the source is POP3 only when the spec says so.
  if (spec.pop3) {
    usePop3Ports(source, sourceInput);
    checkPop3(spec, source);
  }
  // Envelope rows for the archive, plus the exact source every destination stores.
  const plan = prepareRead(source, spec.query ?? source.query ?? 'ALL', {
    select: 'envelope',
    raw: true,
  });
  const mode =
    spec.dedupe ?? (destination.kind === 'imap' ? destination.config.dedupe : 'message-id');
  const mapping: FolderMapOptions = {
    prefix: spec.folderPrefix,
    mapping: spec.folderMapping,
    // Left out when not set: the mapping is part of the job's identity.
    ...(spec.sentFolder ? { sentFolder: spec.sentFolder } : {}),
  };
  // Accounts without ports: the same job over TLS or STARTTLS (or through a proxy) is still the same job.
  const account = (config: Config): unknown => ({
    host: config.host.toLowerCase(),
    user: config.username,
    authz: config.authorizationIdentity ?? null,
  });
  // An archive user is part of the job only when named: jobs of before keep their identity.
  const target =
    destination.kind === 'imap'
      ? account(destination.config)
      : destination.account
        ? { archive: destination.account }
        : 'archive';
  // A POP3 job is another job than an IMAP one of the same account (its state is per UIDL).
  const job = shortHash({
    source: account(source),
    query: plan.queryHash,
    target,
    mapping,
    ...(spec.pop3 ? { pop3: spec.pop3.folder ?? 'INBOX' } : {}),
  });
  return {
    source,
    plan,
    destination,
    mode,
    mapping,
    postReadAction: spec.postReadAction ?? { type: 'none' },
    replace: spec.replace === true,
    syncFlags: spec.syncFlags !== false,
    mirrorDeletions: spec.mirrorDeletions === true,
    ...(spec.pop3 ? { pop3: { folder: spec.pop3.folder ?? 'INBOX' } } : {}),
    job,
    lockWaitMs: Math.round((spec.waitForLock ?? 0) * 1000),
  };
}

/**
 * mirrorDeletions removes the copies of messages gone from the source: with a post-read action
 * that moves or deletes them, that would be every message it copied.
 */
function checkMirror(spec: ImportSpec): void {
  const action = spec.postReadAction?.type ?? 'none';
  if (spec.mirrorDeletions !== true) return;
  if (action === 'move' || action === 'delete')
    throw new ConfigError([
      {
        field: '/mirrorDeletions',
        message: `mirrorDeletions would remove every copy the post-read action ${action} takes from the source: use one or the other`,
      },
    ]);
  if (spec.pop3)
    throw new ConfigError([
      {
        field: '/mirrorDeletions',
        message:
          'mirrorDeletions is for IMAP sources; a POP3 mailbox is read without folders or UIDs',
      },
    ]);
}

/**
 * What a POP3 source cannot do, refused before any connection: it has no search, no flags
 * and no folders, so only deleting after the copy acts on it, and OAuth2 logins are not offered.
 */
function checkPop3(spec: ImportSpec, source: Config): void {
  const issues: { field: string; message: string }[] = [];
  if (spec.query !== undefined)
    issues.push({
      field: '/query',
      message:
        'a POP3 source has no search: leave query out (every message of the mailbox is imported)',
    });
  const action = spec.postReadAction?.type ?? 'none';
  if (action !== 'none' && action !== 'delete')
    issues.push({
      field: '/postReadAction',
      message: `a POP3 source has no flags or folders: only delete (or none) is possible, got ${action}`,
    });
  if (source.authMethod === 'oauth2')
    issues.push({
      field: '/authMethod',
      message: 'POP3 sources log in with a password (USER/PASS or SASL PLAIN), or as a master user',
    });
  if (issues.length > 0) throw new ConfigError(issues);
}

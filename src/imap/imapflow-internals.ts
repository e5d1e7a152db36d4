/**
 * The one module that reaches past imapflow's public API (pinned at 2.1.2). Everything here is
 * checked by checkInternals(), which test/integration/imapflow-internals.int.test.ts runs on a
 * live session: an imapflow upgrade that moves any of it fails that test instead of silently
 * switching the connector to its slow paths. What is used and why:
 *
 * - the session's socket and stream reader (`socket`, `writeSocket`, `streamer`, `_inflate`,
 *   `currentRequest`, `usable`): bulk FETCH and streamed UID SEARCH borrow the socket, because
 *   imapflow compiles every response back to text for its log (most of its CPU on bulk FETCH)
 *   and turns a SEARCH answer into one token per UID (about 600 MB for a million);
 * - `exec()`, imapflow's command runner: UID SEARCH with repeated keys and groups, which its
 *   search() object cannot express, and MULTIAPPEND (RFC 3502) and NOTIFY (RFC 5465), which it
 *   does not offer;
 * - `untaggedHandlers`, the session's handlers of untagged answers: NOTIFY's STATUS of another
 *   folder comes unasked (during IDLE), where no exec() holds a handler for it;
 * - `lib/handler/imap-compiler.js`: the exact bytes exec() would send, for the borrowed socket;
 * - `lib/tools.js` getStructuredParams: MIME parameters with RFC 2231 continuations, which
 *   imap/bodystructure.ts leaves to it; parseEnvelope and parseBodystructure, the references
 *   imap/envelope.ts and imap/bodystructure.ts are held equal to, so both FETCH paths give the
 *   very objects imapflow's fetch() would.
 */
import type { Duplex } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import {
  imapCompiler as compiler,
  getStructuredParams,
  parseBodystructure,
  parseEnvelope,
} from './imapflow-bundle.js';

export { getStructuredParams, parseBodystructure, parseEnvelope };

/** A command argument in imapflow's compiler shape; an array is a parenthesised list. */
export type ImapAttribute =
  | { type: 'ATOM' | 'STRING' | 'LITERAL' | 'SEQUENCE'; value: string | Buffer }
  | readonly ImapAttribute[];

/** What exec() resolves to: the tagged response, and next() to let imapflow go on. */
export interface ExecResult {
  next(): void;
  response: { attributes?: { section?: { value?: string }[] }[] };
}

type UntaggedHandler = (response: { attributes?: { value?: unknown }[] }) => Promise<void>;
type Exec = (
  command: string,
  attributes: unknown,
  options?: { untagged?: Record<string, UntaggedHandler> },
) => Promise<ExecResult>;

interface Internals {
  socket?: Duplex | false;
  writeSocket?: Duplex | false;
  streamer?: Duplex & { compress?: boolean };
  _inflate?: unknown;
  currentRequest?: unknown;
  usable?: boolean;
  exec?: Exec;
  untaggedHandlers?: Record<string, UntaggedHandler | undefined>;
}

/** The session's socket and imapflow's reader of it, when the socket can be lent: connected, idle, not compressed. */
export function borrowableSocket(
  client: ImapFlow,
): { socket: Duplex; streamer: Duplex } | undefined {
  const internals = client as unknown as Internals;
  const { socket, writeSocket, streamer } = internals;
  if (
    !internals.usable ||
    !socket ||
    writeSocket !== socket ||
    !streamer ||
    streamer.compress ||
    internals._inflate ||
    internals.currentRequest
  )
    return undefined;
  return { socket, streamer };
}

/** Whether the session compresses (RFC 4978): then no socket can be lent, and that is expected. */
export function isCompressed(client: ImapFlow): boolean {
  const internals = client as unknown as Internals;
  return Boolean(internals._inflate || internals.streamer?.compress);
}

/** Runs a command through imapflow's own runner, with handlers for its untagged answers. */
export function execCommand(
  client: ImapFlow,
  command: string,
  attributes: readonly ImapAttribute[],
  untagged?: Record<string, UntaggedHandler>,
): Promise<ExecResult> {
  const exec = (client as unknown as Internals).exec!.bind(client);
  return exec(command, attributes, untagged ? { untagged } : {});
}

/** Handles an untagged answer the session gets unasked (`handler` undefined: no longer). */
export function onUnaskedUntagged(
  client: ImapFlow,
  name: string,
  handler: (() => void) | undefined,
): void {
  const handlers = (client as unknown as Internals).untaggedHandlers!;
  handlers[name] = handler && (async () => handler());
}

/** The bytes exec() would send for a command: one buffer, or one per literal it holds. */
export function compileCommand(
  tag: string,
  command: string,
  attributes: readonly ImapAttribute[],
): Promise<Buffer[]> {
  return compiler({ tag, command, attributes } as never, { asArray: true });
}

/**
 * What of the above this imapflow lacks, in words; empty when all is there. With a connected
 * `client`, its session fields are checked too.
 */
export function checkInternals(client?: ImapFlow): string[] {
  const problems: string[] = [];
  const proto = (client ? Object.getPrototypeOf(client) : undefined) as Internals | undefined;
  const exec = proto?.exec ?? (client as unknown as Internals | undefined)?.exec;
  if (client && (typeof exec !== 'function' || exec.length !== 3))
    problems.push('ImapFlow.prototype.exec(command, attributes, options) is missing or changed');
  if (typeof compiler !== 'function')
    problems.push('imapflow/lib/handler/imap-compiler.js has no default compiler function');
  if (
    typeof parseEnvelope !== 'function' ||
    typeof parseBodystructure !== 'function' ||
    typeof getStructuredParams !== 'function'
  )
    problems.push(
      'imapflow/lib/tools.js lacks parseEnvelope, parseBodystructure or getStructuredParams',
    );
  if (client) {
    const internals = client as unknown as Internals;
    if (!internals.socket || typeof (internals.socket as Duplex).pipe !== 'function')
      problems.push('the session has no socket field');
    if (internals.writeSocket !== internals.socket)
      problems.push('writeSocket is not the socket on a plain session');
    if (!internals.streamer || typeof internals.streamer.write !== 'function')
      problems.push('the session has no streamer (response reader) field');
    if (typeof internals.usable !== 'boolean') problems.push('the session has no usable flag');
    if (!('currentRequest' in internals)) problems.push('the session has no currentRequest field');
    if (typeof internals.untaggedHandlers?.EXISTS !== 'function')
      problems.push('the session has no untaggedHandlers map');
  }
  return problems;
}

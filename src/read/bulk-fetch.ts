import type { Duplex } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { uidFetchLine } from '../imap/command-line.js';
import { SILENT_LOGGER, type Logger } from '../operation-options.js';
import { FetchResponseParser, type TaggedResult } from './fetch-response-parser.js';
import { FetchMatcher, type MatchedFetch } from './match-fetch-responses.js';

/** The parts of imapflow's connection this module borrows (internal fields of imapflow 2.1.2). */
interface Internals {
  socket?: Duplex | false;
  writeSocket?: Duplex | false;
  streamer?: Duplex & { compress?: boolean };
  _inflate?: unknown;
  currentRequest?: unknown;
  usable?: boolean;
}

let tagCounter = 0;

/** True when the session can lend its socket: connected, idle, and not compressed. */
export function canBulkFetch(client: ImapFlow): boolean {
  const internals = client as unknown as Internals;
  return Boolean(internals.usable && internals.socket && internals.writeSocket === internals.socket && internals.streamer && !internals.streamer.compress && !internals._inflate && !internals.currentRequest);
}

/** What one bulk FETCH is: the UIDs asked for, the items as sent and as message fields. */
export interface BulkFetchRequest {
  uidSet: string;
  uids: ReadonlySet<number>;
  items: string;
  required: readonly string[];
  /** Largest literal accepted (the connection's maxMessageSize); a larger one is PROTOCOL_ERROR. */
  maxLiteralBytes?: number;
}

/**
 * Runs one UID FETCH on the session's selected folder with its own response parser: the socket
 * is unpiped from imapflow's reader for the length of the command and piped back after the
 * tagged answer, so imapflow keeps the session, its auth and every other command. Bytes after
 * the tagged line (none, as nothing else is pending) are handed back to imapflow's reader.
 * Responses are matched to the request as they arrive (match-fetch-responses.ts).
 * @throws PROTOCOL_ERROR for bytes that are not IMAP; else an error shaped like imapflow's
 *   (responseStatus / responseText, or code NoConnection)
 */
export function bulkFetch(client: ImapFlow, request: BulkFetchRequest, logger: Logger = SILENT_LOGGER): Promise<MatchedFetch> {
  const internals = client as unknown as Internals;
  const socket = internals.socket as Duplex;
  const streamer = internals.streamer!;
  const tag = `X${(++tagCounter).toString(36).toUpperCase()}`;
  const command = uidFetchLine(tag, request.uidSet, request.items);
  const matcher = new FetchMatcher(request.uids, request.required);
  return new Promise<MatchedFetch>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, rest?: Buffer): void => {
      if (settled) return;
      settled = true;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (!error) {
        socket.pipe(streamer);
        if (rest && rest.length > 0) streamer.write(rest);
        resolve(matcher.result());
      } else reject(error);
    };
    const onTagged = (result: TaggedResult, rest: Buffer): void => {
      logger.debug({ src: 'connector:s', msg: `${tag} ${result.status} ${result.text}` });
      if (result.status === 'OK') finish(undefined, rest);
      else finish(Object.assign(new Error(`UID FETCH failed: ${result.status}`), { responseStatus: result.status, responseText: result.text }));
    };
    const parser = new FetchResponseParser(tag, { onFetch: (response) => matcher.add(response), onExpunge: () => matcher.expunged(), onTagged }, request.maxLiteralBytes);
    const onData = (chunk: Buffer): void => {
      try {
        parser.push(chunk);
      } catch (error) {
        finish(error as Error);
        socket.destroy();
      }
    };
    const onClose = (): void => finish(Object.assign(new Error('Connection not available'), { code: 'NoConnection' }));
    socket.unpipe(streamer);
    socket.on('data', onData);
    // unpipe() leaves the socket explicitly paused, and a 'data' listener alone does not resume it.
    socket.resume();
    socket.once('close', onClose);
    socket.once('error', onClose);
    // Logged like imapflow's client lines; a FETCH carries no secret.
    logger.debug({ src: 'connector:c', msg: command });
    socket.write(`${command}\r\n`);
  });
}

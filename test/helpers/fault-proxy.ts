/**
 * A loopback TCP proxy between the connector and Dovecot that injects the faults a real
 * server will not produce on demand: cut the link after N bytes from the server, or go
 * silent after N bytes (the server "hangs"). Modes apply to connections opened after set().
 */
import { connect, createServer, type Socket } from 'node:net';
import { LOOPBACK } from './dovecot.js';

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'cut'; afterServerBytes: number; connections?: number }
  | { kind: 'silent'; afterServerBytes: number; connections?: number }
  /** Cut once the client has sent more than this: a destination lost mid-APPEND. */
  | { kind: 'cutClient'; afterClientBytes: number; connections?: number }
  /**
   * Each command line the client sends is replaced by `command(line)` (CRLF not included):
   * a server's answer to another command than asked, for what Dovecot cannot be made to refuse.
   * Only for sessions that send no literals (a source being read).
   */
  | { kind: 'rewrite'; command: (line: string) => string }
  /**
   * Every connection is cut as the server sends `pattern` (a filter that resets connections
   * carrying some content, a server process that dies on one message): before those bytes.
   */
  | { kind: 'cutOn'; pattern: string; connections?: number }
  /**
   * The connection is cut as the client sends a command line matching `command`, before the
   * server gets it: a session lost between two commands of one step (STORE, then EXPUNGE).
   */
  | { kind: 'cutOnCommand'; command: RegExp; connections?: number };

export interface FaultProxy {
  port: number;
  set(mode: FaultMode): void;
  /** Connections cut or silenced so far. */
  faults(): number;
  /** Connections accepted so far, whatever became of them. */
  accepted(): number;
  /**
   * The most sessions open at once so far: a connection counts from its accept until the
   * server says BYE (logout) or either side closes it. A logged-out connection whose socket is
   * still closing is no load on the server, and its close races the next connect.
   */
  peakConnections(): number;
  /**
   * Plays a server-wide limit of `sessions` open sessions per client address (Courier's
   * MAXPERIP, a hosting panel's IMAP limit; Dovecot limits per user and IP only): one more
   * connection is greeted with `* BYE Too many connections from your IP` and closed.
   * undefined lifts the limit.
   */
  limitSessions(sessions: number | undefined): void;
  /** Connections refused by limitSessions so far. */
  refused(): number;
  /**
   * A server restart as clients see it: every open connection cut now, and new ones closed at
   * once (before a greeting) for `ms`.
   */
  outage(ms: number): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  let faults = 0;
  let accepted = 0;
  let open = 0;
  let peak = 0;
  let sessionLimit: number | undefined;
  let refused = 0;
  const sockets = new Set<Socket>();
  // With `connections`, a fault applies to that many new connections, then the proxy passes.
  let remaining: number | undefined;
  let downUntil = 0;
  const server = createServer((client) => {
    accepted++;
    if (Date.now() < downUntil) {
      faults++;
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    if (sessionLimit !== undefined && open >= sessionLimit) {
      refused++;
      client.on('error', () => undefined);
      client.end('* BYE Too many connections from your IP\r\n');
      return;
    }
    const connectionMode = mode;
    if (remaining !== undefined && --remaining <= 0) {
      mode = { kind: 'pass' };
      remaining = undefined;
    }
    open++;
    peak = Math.max(peak, open);
    let counted = true;
    const uncount = (): void => {
      if (counted) open--;
      counted = false;
    };
    client.on('end', uncount);
    client.on('close', uncount);
    const upstream = connect(targetPort, LOOPBACK);
    upstream.on('close', uncount);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    let fromServer = 0;
    let faulted = false;
    let tail = '';
    let fromClient = 0;
    const write = clientWriter(connectionMode, upstream);
    client.on('data', (chunk: Buffer) => {
      if (faulted) return;
      fromClient += chunk.length;
      const cutHere =
        (connectionMode.kind === 'cutClient' && fromClient > connectionMode.afterClientBytes) ||
        (connectionMode.kind === 'cutOnCommand' &&
          chunk
            .toString('latin1')
            .split('\r\n')
            .some((line) => connectionMode.command.test(line)));
      if (cutHere) {
        faulted = true;
        faults++;
        client.destroy();
        upstream.destroy();
        return;
      }
      write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.includes('* BYE')) uncount();
      if (faulted) return;
      if (connectionMode.kind === 'cutOn') {
        const seen = tail + chunk.toString('latin1');
        tail = seen.slice(-connectionMode.pattern.length);
        if (seen.includes(connectionMode.pattern)) {
          faulted = true;
          faults++;
          client.destroy();
          upstream.destroy();
          return;
        }
      }
      if (
        (connectionMode.kind === 'cut' || connectionMode.kind === 'silent') &&
        fromServer + chunk.length > connectionMode.afterServerBytes
      ) {
        client.write(chunk.subarray(0, Math.max(0, connectionMode.afterServerBytes - fromServer)));
        faulted = true;
        faults++;
        if (connectionMode.kind === 'cut') {
          client.destroy();
          upstream.destroy();
        }
        return;
      }
      fromServer += chunk.length;
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    set: (next) => {
      mode = next;
      remaining = 'connections' in next ? next.connections : undefined;
    },
    faults: () => faults,
    accepted: () => accepted,
    peakConnections: () => peak,
    limitSessions: (sessions) => {
      sessionLimit = sessions;
    },
    refused: () => refused,
    outage: (ms) => {
      downUntil = Date.now() + ms;
      faults += sockets.size > 0 ? 1 : 0;
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What passes the client's bytes on: as they are, or line by line through a rewrite. */
function clientWriter(mode: FaultMode, upstream: Socket): (chunk: Buffer) => void {
  if (mode.kind !== 'rewrite') return (chunk) => upstream.write(chunk);
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
      upstream.write(Buffer.from(`${mode.command(pending.slice(0, end))}\r\n`, 'latin1'));
      pending = pending.slice(end + 2);
    }
  };
}

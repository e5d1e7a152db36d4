/**
 * A scripted IMAP responder on loopback, for answers a real server cannot be made to give
 * (silence or a trickle in the middle of a FETCH, lying literals, endless lines, junk). It
 * speaks just enough IMAP4rev1 for imapflow to log in, LIST, EXAMINE, SEARCH and FETCH three
 * small messages; a test overrides the commands it wants to break. Every test that uses it
 * says why Dovecot would not do.
 */
import { createServer, type Socket } from 'node:net';
import { LOOPBACK } from './dovecot.js';

export interface CommandContext {
  tag: string;
  /** The command's arguments as sent, after the command name. */
  args: string;
  socket: Socket;
  write(data: string | Buffer): void;
  /** The default answer for this command. */
  reply(): void;
}

/** Command name (upper-case; UID commands as "UID FETCH") -> what the server does. */
export type Script = Partial<Record<string, (ctx: CommandContext) => void>>;

/** Instead of the `* OK` greeting: what the server does on connect. */
export type Greeting = (socket: Socket) => void;

export const MESSAGE = (uid: number): string =>
  `Message-ID: <scripted-${uid}@test>\r\nSubject: scripted ${uid}\r\nFrom: a@example.org\r\n\r\nbody ${uid}\r\n`;
const ENVELOPE = (uid: number): string =>
  `("Mon, 1 Jan 2024 10:00:00 +0000" "scripted ${uid}" (("A" NIL "a" "example.org")) (("A" NIL "a" "example.org")) (("A" NIL "a" "example.org")) NIL NIL NIL NIL "<scripted-${uid}@test>")`;
const BODYSTRUCTURE = '("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 8 1 NIL NIL NIL NIL)';
const CAPABILITY = 'IMAP4rev1 LITERAL+ UIDPLUS';

/** The FETCH response of one message for the items a UID FETCH asks for. */
export function fetchResponse(
  seq: number,
  uid: number,
  items: string,
  source: string = MESSAGE(uid),
): string {
  const parts = [`UID ${uid}`, 'FLAGS ()'];
  if (/INTERNALDATE/i.test(items)) parts.push('INTERNALDATE "01-Jan-2024 10:00:00 +0000"');
  if (/RFC822\.SIZE/i.test(items)) parts.push(`RFC822.SIZE ${source.length}`);
  if (/ENVELOPE/i.test(items)) parts.push(`ENVELOPE ${ENVELOPE(uid)}`);
  if (/BODYSTRUCTURE/i.test(items)) parts.push(`BODYSTRUCTURE ${BODYSTRUCTURE}`);
  const headers = /BODY\.PEEK\[HEADER\.FIELDS \(([^)]*)\)\]/i.exec(items);
  if (headers) parts.push(`BODY[HEADER.FIELDS (${headers[1]})] {2}\r\n\r\n`);
  if (/BODY\.PEEK\[\]/i.test(items)) parts.push(`BODY[] {${source.length}}\r\n${source}`);
  return `* ${seq} FETCH (${parts.join(' ')})\r\n`;
}

const DEFAULTS: Record<string, (ctx: CommandContext) => void> = {
  CAPABILITY: (ctx) => ctx.write(`* CAPABILITY ${CAPABILITY}\r\n${ctx.tag} OK done\r\n`),
  LOGIN: (ctx) => ctx.write(`${ctx.tag} OK [CAPABILITY ${CAPABILITY}] logged in\r\n`),
  LIST: (ctx) => ctx.write(`* LIST (\\HasNoChildren) "/" INBOX\r\n${ctx.tag} OK done\r\n`),
  LSUB: (ctx) => ctx.write(`* LSUB (\\HasNoChildren) "/" INBOX\r\n${ctx.tag} OK done\r\n`),
  EXAMINE: (ctx) =>
    ctx.write(
      `* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n* FLAGS (\\Seen)\r\n${ctx.tag} OK [READ-ONLY] done\r\n`,
    ),
  SELECT: (ctx) =>
    ctx.write(
      `* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n* FLAGS (\\Seen)\r\n* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n${ctx.tag} OK [READ-WRITE] done\r\n`,
    ),
  // The three messages are tiny: none is LARGER than any maxMessageSize.
  'UID SEARCH': (ctx) =>
    ctx.write(`* SEARCH${/\bLARGER\b/i.test(ctx.args) ? '' : ' 1 2 3'}\r\n${ctx.tag} OK done\r\n`),
  'UID FETCH': (ctx) => {
    const [set = '', ...rest] = ctx.args.split(' ');
    const items = rest.join(' ');
    for (const uid of expand(set)) ctx.write(fetchResponse(uid, uid, items));
    ctx.write(`${ctx.tag} OK done\r\n`);
  },
  NOOP: (ctx) => ctx.write(`${ctx.tag} OK done\r\n`),
  CREATE: (ctx) => ctx.write(`${ctx.tag} OK created\r\n`),
  APPEND: (ctx) => ctx.write(`${ctx.tag} OK [APPENDUID 7 4] appended\r\n`),
  CLOSE: (ctx) => ctx.write(`${ctx.tag} OK done\r\n`),
  UNSELECT: (ctx) => ctx.write(`${ctx.tag} OK done\r\n`),
  LOGOUT: (ctx) => {
    ctx.write(`* BYE bye\r\n${ctx.tag} OK done\r\n`);
    ctx.socket.end();
  },
};

/** The UIDs 1..3 a sequence set names (the scripted folder has three messages). */
export function expand(set: string): number[] {
  const uids = new Set<number>();
  for (const part of set.split(',')) {
    const [from = '1', to = from] = part.split(':');
    const low = from === '*' ? 3 : Number(from);
    const high = to === '*' ? 3 : Number(to);
    for (let uid = Math.min(low, high); uid <= Math.min(Math.max(low, high), 3); uid++)
      uids.add(uid);
  }
  return [...uids].sort((a, b) => a - b);
}

export interface ScriptedServer {
  port: number;
  /** Commands received, as "NAME args", in order. */
  received: string[];
  /** When a command of this name last arrived (ms since epoch). */
  arrivedAt(name: string): number | undefined;
  /** When each command of this name arrived (ms since epoch), in order. */
  arrivals(name: string): number[];
  /**
   * Arms, when the next command of this name arrives, a plain timer of `ms` in this process:
   * lag() is how late it fired (waiting for it if armed; 0 if the command never came). The
   * lag of a timer is the machine's (a loaded CI runner fires timers 100-200 ms late), so a
   * test of a deadline can allow it on top of its own bound.
   */
  timerProbe(name: string, ms: number): { lag(): Promise<number> };
  close(): Promise<void>;
}

/** Starts the responder on a free loopback port; close() ends every connection. */
export async function startScriptedServer(
  script: Script = {},
  greeting?: Greeting,
): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const received: string[] = [];
  const arrivals = new Map<string, number[]>();
  const probes = new Map<string, () => void>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (greeting) greeting(socket);
    else socket.write('* OK scripted IMAP ready\r\n');
    let buffer = '';
    // A command's literals ({n} or {n+}) are taken as bytes, not as lines (APPEND).
    let command = '';
    let literal = 0;
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (literal > 0) {
          const take = Math.min(literal, buffer.length);
          command += buffer.slice(0, take);
          buffer = buffer.slice(take);
          literal -= take;
          if (literal > 0) return;
        }
        const end = buffer.indexOf('\r\n');
        if (end < 0) return;
        const part = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const announced = /\{(\d+)(\+?)\}$/.exec(part);
        if (announced) {
          command += part + '\r\n';
          literal = Number(announced[1]);
          if (!announced[2]) socket.write('+ go ahead\r\n');
          continue;
        }
        const line = command + part;
        command = '';
        const match = /^(\S+) (UID \S+|\S+) ?([\s\S]*)$/i.exec(line);
        if (!match) continue;
        const [, tag = '', rawName = '', args = ''] = match;
        const name = rawName.toUpperCase();
        received.push(`${name} ${args}`.trim());
        arrivals.set(name, [...(arrivals.get(name) ?? []), Date.now()]);
        probes.get(name)?.();
        probes.delete(name);
        const write = (data: string | Buffer): void => {
          if (!socket.destroyed) socket.write(data);
        };
        const fallback =
          DEFAULTS[name] ??
          ((ctx: CommandContext) => ctx.write(`${ctx.tag} BAD unknown command\r\n`));
        const ctx: CommandContext = { tag, args, socket, write, reply: () => fallback(ctx) };
        (script[name] ?? fallback)(ctx);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    received,
    arrivedAt: (name) => arrivals.get(name)?.at(-1),
    arrivals: (name) => arrivals.get(name) ?? [],
    timerProbe: (name, ms) => {
      let fired: Promise<number> | undefined;
      probes.set(name, () => {
        const armed = performance.now();
        fired = new Promise((resolve) =>
          setTimeout(() => resolve(Math.max(0, performance.now() - armed - ms)), ms),
        );
      });
      return { lag: () => fired ?? Promise.resolve(0) };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Writes `data` one byte at a time, one every `everyMs`, until the socket closes. */
export function trickle(socket: Socket, data: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= data.length) {
      clearInterval(timer);
      return;
    }
    socket.write(data[at++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** Writes `chunk` as fast as the socket takes it, forever, until it closes. */
export function flood(socket: Socket, chunk: Buffer): void {
  const pump = (): void => {
    while (!socket.destroyed && socket.write(chunk));
    if (!socket.destroyed) socket.once('drain', pump);
  };
  pump();
}

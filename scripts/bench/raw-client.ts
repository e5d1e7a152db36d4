/**
 * The raw limit: a minimal IMAP client on a plain socket that logs in, examines each folder and
 * runs one UID FETCH 1:* per folder, discarding the bytes. It only frames responses (lines and
 * {n} literals) and counts FETCH responses: nothing a real client could do with less work.
 */
import { connect, type Socket } from 'node:net';

export class Reader {
  private buffer: Buffer = Buffer.alloc(0);
  private literalLeft = 0;
  private waiter: ((line: string) => void) | undefined;
  private lines: string[] = [];
  fetches = 0;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
  }

  private feed(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let offset = 0;
    while (offset < this.buffer.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, this.buffer.length - offset);
        this.literalLeft -= take;
        offset += take;
        continue;
      }
      const end = this.buffer.indexOf('\r\n', offset);
      if (end < 0) break;
      const line = this.buffer.toString('latin1', offset, Math.min(end, offset + 200));
      const literal = /\{(\d+)\}$/.exec(
        this.buffer.toString('latin1', Math.max(offset, end - 20), end),
      );
      if (literal) this.literalLeft = Number(literal[1]);
      if (line.startsWith('* ') && / FETCH /.test(line)) this.fetches++;
      offset = end + 2;
      this.emit(line);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private emit(line: string): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter(line);
    } else this.lines.push(line);
  }

  /** Resolves with the first line starting with `prefix`. */
  async until(prefix: string): Promise<string> {
    for (;;) {
      const line =
        this.lines.shift() ?? (await new Promise<string>((resolve) => (this.waiter = resolve)));
      if (line.startsWith(prefix)) return line;
    }
  }
}

/** A plain socket logged in, and the reader of its lines. */
export async function rawLogin(
  host: string,
  port: number,
  user: string,
  password: string,
): Promise<{ socket: Socket; reader: Reader }> {
  const socket = connect(port, host);
  socket.setNoDelay(true);
  const reader = new Reader(socket);
  await reader.until('* OK');
  socket.write(`a LOGIN ${user} ${password}\r\n`);
  if (!(await reader.until('a ')).startsWith('a OK')) throw new Error('raw client: login failed');
  return { socket, reader };
}

/** Logs in, then UID FETCH 1:* (items) in every folder; returns how many messages came back. */
export async function rawFetchAll(
  host: string,
  port: number,
  user: string,
  password: string,
  folders: string[],
  items: string,
): Promise<number> {
  const { socket, reader } = await rawLogin(host, port, user, password);
  let tag = 0;
  for (const folder of folders) {
    socket.write(`e${tag} EXAMINE "${folder}"\r\nf${tag} UID FETCH 1:* ${items}\r\n`);
    await reader.until(`e${tag} OK`);
    if (!(await reader.until(`f${tag} `)).startsWith(`f${tag} OK`))
      throw new Error('raw client: fetch failed');
    tag++;
  }
  socket.write('z LOGOUT\r\n');
  socket.end();
  return reader.fetches;
}

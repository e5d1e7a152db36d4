/**
 * The raw limit of a copy: two plain sockets, each source literal of one UID FETCH 1:* written
 * into the destination's MULTIAPPEND (LITERAL+) as its bytes arrive, 50 messages a command,
 * with flags and arrival date, the source paused while the destination's socket is full. No
 * dedupe, no journal, no fallbacks: what a streamed import could reach on this machine.
 */
import { connect } from 'node:net';
import { rawLogin } from './raw-client.js';

const PER_COMMAND = 50;
const HIGH_WATER = 4 * 1024 * 1024;

/** Copies every folder; returns how many messages the destination acknowledged. */
export async function rawStreamCopy(
  host: string,
  port: number,
  source: { user: string; password: string },
  destination: { user: string; password: string },
  folders: string[],
): Promise<number> {
  const from = connect(port, host);
  from.setNoDelay(true);
  const to = await rawLogin(host, port, destination.user, destination.password);
  let copied = 0;
  let tags = 0;
  let buffer: Buffer = Buffer.alloc(0);
  let literalLeft = 0;
  let inCommand = 0;
  let tagged: ((line: string) => void) | undefined;
  // The APPEND commands of the folder being copied, answered in order.
  let appends: string[] = [];
  let head = '';
  const endCommand = (): void => {
    to.socket.write('\r\n');
    inCommand = 0;
  };
  from.on('data', (chunk: Buffer) => {
    buffer = buffer.length > 0 ? Buffer.concat([buffer, chunk]) : chunk;
    let offset = 0;
    while (offset < buffer.length) {
      if (literalLeft > 0) {
        const take = Math.min(literalLeft, buffer.length - offset);
        if (
          !to.socket.write(buffer.subarray(offset, offset + take)) &&
          to.socket.writableLength > HIGH_WATER
        ) {
          from.pause();
          to.socket.once('drain', () => from.resume());
        }
        literalLeft -= take;
        offset += take;
        continue;
      }
      const end = buffer.indexOf('\r\n', offset);
      if (end < 0) break;
      const line = buffer.toString('latin1', offset, end);
      offset = end + 2;
      const literal = /BODY\[\] \{(\d+)\}$/.exec(line);
      if (literal) {
        head = line;
        literalLeft = Number(literal[1]);
        const flags = (/FLAGS \(([^)]*)\)/.exec(head)?.[1] ?? '')
          .split(' ')
          .filter((flag) => flag && flag !== '\\Recent')
          .join(' ');
        const date = /INTERNALDATE ("[^"]*")/.exec(head)?.[1];
        const message = ` (${flags})${date ? ` ${date}` : ''} {${literalLeft}+}\r\n`;
        if (inCommand === 0) {
          const tag = `A${++tags}`;
          appends.push(tag);
          to.socket.write(`${tag} APPEND "${currentFolder}"`);
        }
        to.socket.write(message);
        inCommand++;
        copied++;
        continue;
      }
      if (inCommand >= PER_COMMAND && line === ')') endCommand();
      if (tagged && /^[a-z] (OK|NO|BAD)/.test(line)) {
        if (inCommand > 0) endCommand();
        const done = tagged;
        tagged = undefined;
        done(line);
      }
    }
    buffer = buffer.subarray(offset);
  });
  let currentFolder = '';
  const command = (text: string): Promise<string> =>
    new Promise((resolve) => {
      tagged = resolve;
      from.write(text);
    });
  await new Promise<void>((resolve) => from.once('data', () => resolve()));
  if (!(await command(`a LOGIN ${source.user} ${source.password}\r\n`)).startsWith('a OK'))
    throw new Error('raw copy: source login failed');
  for (const folder of folders) {
    currentFolder = folder;
    to.socket.write(`c CREATE "${folder}"\r\ns SELECT "${folder}"\r\n`);
    await to.reader.until('s ');
    await command(`e EXAMINE "${folder}"\r\n`);
    const done = await command(`f UID FETCH 1:* (UID FLAGS INTERNALDATE BODY.PEEK[])\r\n`);
    if (!done.startsWith('f OK')) throw new Error(`raw copy: fetch failed: ${done}`);
    for (const tag of appends) {
      const line = await to.reader.until(`${tag} `);
      if (!line.startsWith(`${tag} OK`)) throw new Error(`raw copy: append failed: ${line}`);
    }
    appends = [];
  }
  from.end('z LOGOUT\r\n');
  to.socket.end('z LOGOUT\r\n');
  return copied;
}

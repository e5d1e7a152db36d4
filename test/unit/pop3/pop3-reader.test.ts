/**
 * The POP3 reader on bytes as a network delivers them: an answer split at every position
 * (the terminator and a stuffed dot across chunks), and what ends a read early.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Pop3Reader } from '../../../src/pop3/pop3-reader.js';

function fakeSocket(): Socket & EventEmitter {
  const socket = new EventEmitter() as Socket & EventEmitter;
  (socket as unknown as { destroy: () => void }).destroy = () => socket.emit('close');
  return socket;
}

const deadline = (ms = 1000) => ({ until: Date.now() + ms, what: 'RETR' });
const MESSAGE = 'Subject: x\r\n\r\n.leading dot\r\n..\r\n.\r\nend\r\n';
const STUFFED = 'Subject: x\r\n\r\n..leading dot\r\n...\r\n..\r\nend\r\n';

describe('Pop3Reader', () => {
  it('undoes dot-stuffing and finds the end, however the bytes are split', async () => {
    const wire = Buffer.from(`+OK 44 octets\r\n${STUFFED}.\r\n+OK next\r\n`);
    for (let cut = 1; cut < wire.length; cut++) {
      const socket = fakeSocket();
      const reader = new Pop3Reader(socket, 1 << 20);
      const status = reader.line(deadline());
      const body = status.then(() => reader.multiline(deadline()));
      const after = body.then(() => reader.line(deadline()));
      socket.emit('data', wire.subarray(0, cut));
      await new Promise((resolve) => setImmediate(resolve));
      socket.emit('data', wire.subarray(cut));
      expect(await status).toBe('+OK 44 octets');
      expect((await body).toString()).toBe(MESSAGE);
      expect(await after).toBe('+OK next');
    }
  });

  it('reads an empty answer and a listing', async () => {
    const socket = fakeSocket();
    const reader = new Pop3Reader(socket, 1 << 20);
    socket.emit('data', Buffer.from('.\r\n1 abc\r\n2 def\r\n.\r\n'));
    expect(await reader.lines(deadline())).toEqual([]);
    expect(await reader.lines(deadline())).toEqual(['1 abc', '2 def']);
  });

  it('ends with CONNECTION_LOST when the server goes mid-answer, SOCKET_TIMEOUT when it goes silent, and refuses an answer over the limit', async () => {
    const cut = fakeSocket();
    const reading = new Pop3Reader(cut, 1 << 20).multiline(deadline());
    cut.emit('data', Buffer.from('Subject: half'));
    cut.emit('close');
    await expect(reading).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
    const silent = new Pop3Reader(fakeSocket(), 1 << 20).line(deadline(50));
    await expect(silent).rejects.toMatchObject({ code: 'SOCKET_TIMEOUT' });
    const big = fakeSocket();
    const over = new Pop3Reader(big, 100).multiline(deadline());
    big.emit('data', Buffer.alloc(200, 0x61));
    await expect(over).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
  });
});

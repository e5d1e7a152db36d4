/**
 * The poison fault of the chaos run: one message whose reading cuts the connection every time
 * (a server process that dies on one damaged file, a filter that resets any connection carrying
 * some content). The proxy cuts each connection as the server sends the message's marker, so
 * the other messages still pass. While it cuts, a run must copy every other message, exit
 * non-zero and name MESSAGE_UNAVAILABLE (or CONNECTION_LOST, when the message was all that was
 * left: nothing then shows the connection carries mail); once it stops cutting, the next runs
 * must copy the message too, once.
 */
import { randomBytes } from 'node:crypto';
import { seedMailbox } from '../../test/helpers/seed.js';
import type { Account, World } from './world.js';

/** A message with a marker in its body only (never in an envelope or a header field). */
export async function addPoison(world: World, account: Account): Promise<string> {
  const marker = `chaos-poison-${randomBytes(8).toString('hex')}`;
  const source =
    `From: Friend <friend@example.org>\r\nTo: victim@example.org\r\nSubject: a damaged file\r\n` +
    `Date: Mon, 01 Jan 2024 09:00:00 +0000\r\nMessage-ID: <${marker}-id@example.org>\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\n\r\n${marker}\r\n`;
  await seedMailbox(world.dovecot, account, { INBOX: [{ source }] });
  return marker;
}

/** Cuts every connection that carries the marker, from now until pass(). */
export function cutOnPoison(world: World, marker: string): void {
  world.proxy.limitSessions(undefined);
  world.proxy.set({ kind: 'cutOn', pattern: marker });
}

/**
 * What a run that ended while the proxy still cut must show: not success, and why (else the
 * message would be missing without a word).
 */
export function poisonedRunProblems(ended: {
  code: number | null;
  stdout: string;
  stderr: string;
}): string[] {
  const problems: string[] = [];
  if (ended.code === 0) problems.push('a run with the poison message still cut exited 0');
  if (!/MESSAGE_UNAVAILABLE|CONNECTION_LOST/.test(ended.stdout + ended.stderr))
    problems.push(
      `a run with the poison message still cut named neither MESSAGE_UNAVAILABLE nor CONNECTION_LOST: ${ended.stderr.trim().split('\n')[0]}`,
    );
  return problems;
}

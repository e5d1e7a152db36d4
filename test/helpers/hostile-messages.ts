import { createHash } from 'node:crypto';

/**
 * Messages any outside sender can send that once broke a whole mailbox (issue 24): MIME nested
 * 10,000 deep, 50,000 parts, a 10 MB header line, 100,000 addresses, a Content-Type the server's
 * BODYSTRUCTURE reads otherwise than the body is built, and IMAP syntax (an unterminated literal,
 * a tagged line) inside the body. Each is a valid RFC 5322 byte sequence; the tests append them
 * between ordinary messages on the real Dovecot.
 */
export interface HostileMessage {
  name: string;
  source: Buffer;
}

const head = (name: string, extra = ''): string =>
  `From: Hostile <hostile@example.org>\r\nTo: victim@example.org\r\nSubject: hostile ${name}\r\n` +
  `Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <hostile-${name}@example.org>\r\nMIME-Version: 1.0\r\n${extra}`;

function nested(depth: number): string {
  // Built from the inside out, each level one multipart around the last.
  const parts: string[] = ['Content-Type: text/plain\r\n\r\ninnermost\r\n'];
  for (let level = depth; level > 0; level--)
    parts.push(
      `Content-Type: multipart/mixed; boundary="n${level}"\r\n\r\n--n${level}\r\n${parts.pop()!}--n${level}--\r\n`,
    );
  return head(`nesting-${depth}`) + parts[0]!;
}

function manyParts(count: number): string {
  const body = Array.from(
    { length: count },
    (_, i) => `--p\r\nContent-Type: application/octet-stream; name="p${i}.bin"\r\n\r\n${i}\r\n`,
  ).join('');
  return (
    head(`parts-${count}`, 'Content-Type: multipart/mixed; boundary="p"\r\n\r\n') +
    body +
    '--p--\r\n'
  );
}

const longHeaderLine = (bytes: number): string =>
  head('long-header', `X-Padding: ${'x'.repeat(bytes)}\r\nContent-Type: text/plain\r\n\r\n`) +
  'a header line of many megabytes above\r\n';

const manyAddresses = (count: number): string =>
  `From: Hostile <hostile@example.org>\r\nTo: ${Array.from({ length: count }, (_, i) => `r${i}@example.org`).join(',\r\n ')}\r\n` +
  `Subject: hostile addresses-${count}\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <hostile-addresses-${count}@example.org>\r\n\r\nmany recipients\r\n`;

// ";;" before boundary=: Dovecot's BODYSTRUCTURE finds no boundary and calls the body one part.
const disagreeingStructure = (): string =>
  head('disagreeing-structure', 'Content-Type: multipart/mixed;; boundary="d"\r\n\r\n') +
  '--d\r\nContent-Type: text/plain\r\n\r\nthe real text\r\n--d--\r\n';

const imapInBody = (): string =>
  head('imap-in-body', 'Content-Type: text/plain\r\n\r\n') +
  'an unterminated literal {99999}\r\n* 1 FETCH (UID 1 BODY[] {100}\r\nA1 OK [ALERT] done\r\n)\r\n';

/** How big the hostile messages are: the sizes (1), or a fraction for quick trials. */
export function hostileMessages(scale = 1): HostileMessage[] {
  const of = (full: number, least: number): number => Math.max(least, Math.round(full * scale));
  return [
    [`nesting-${of(10_000, 150)}`, nested(of(10_000, 150))],
    [`parts-${of(50_000, 200)}`, manyParts(of(50_000, 200))],
    ['long-header', longHeaderLine(of(10 * 1024 * 1024, 64 * 1024))],
    [`addresses-${of(100_000, 500)}`, manyAddresses(of(100_000, 500))],
    ['disagreeing-structure', disagreeingStructure()],
    ['imap-in-body', imapInBody()],
  ].map(([name, source]) => ({ name: name!, source: Buffer.from(source!) }));
}

/** An ordinary message, for between the hostile ones. */
export function goodMessage(n: number): Buffer {
  return Buffer.from(
    `From: Friend <friend@example.org>\r\nTo: victim@example.org\r\nSubject: good ${n}\r\n` +
      `Date: Mon, 01 Jan 2024 09:00:00 +0000\r\nMessage-ID: <good-${n}@example.org>\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\nordinary message ${n}\r\n`,
  );
}

/**
 * An ordinary message with an attachment in 76-column base64 (6 KB, or `kilobytes`), its bytes
 * derived from `n`. The archive keeps such a part as its bytes (base64-runs.ts); `spoiled` puts
 * a character outside the alphabet in it, so the archive must keep that part in its Brotli
 * stream instead. Over 4 MB, an import into an IMAP account streams it (streamed-source.ts).
 */
export function attachmentMessage(n: number, spoiled = false, kilobytes = 6): Buffer {
  const bytes = Buffer.concat(
    Array.from({ length: kilobytes * 32 }, (_, i) =>
      createHash('sha256').update(`${n}:${i}`).digest(),
    ),
  );
  let text = (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
  if (spoiled) text = text.slice(0, 100) + '*' + text.slice(101);
  return Buffer.from(
    `From: Friend <friend@example.org>\r\nTo: victim@example.org\r\nSubject: file ${n}\r\n` +
      `Date: Mon, 01 Jan 2024 09:00:00 +0000\r\nMessage-ID: <file-${n}@example.org>\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n` +
      `--b\r\nContent-Type: text/plain\r\n\r\nthe file\r\n` +
      `--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${text}\r\n--b--\r\n`,
  );
}

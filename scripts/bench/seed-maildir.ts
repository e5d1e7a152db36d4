/**
 * A deterministic benchmark mailbox written straight into Dovecot's maildir (APPENDing 10,000+
 * messages would take longer than the measurements). Two kinds, the same count always giving
 * the same bytes, spread over INBOX, Archive and Sent:
 * - standard: most messages 2-20 KB, multipart/alternative, encoded headers, 5% with a
 *   100 KB - 2 MB attachment;
 * - attachments (issue 13's realistic mix): 20% of messages with 1-3 attachments of 50 KB - 5 MB
 *   (sizes log-uniform, so most are small and a few are large), the rest text and alternative.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../test/helpers/seeded-random.js';

export const BENCH_FOLDERS = [
  { name: 'INBOX', dir: '', share: 0.6 },
  { name: 'Archive', dir: '.Archive', share: 0.25 },
  { name: 'Sent', dir: '.Sent', share: 0.15 },
] as const;

const WORDS =
  'the quarterly report invoice meeting tomorrow project status update please review attached numbers team budget schedule customer order shipping delivery contract approval'.split(
    ' ',
  );

function text(random: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = Array.from({ length: 12 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(
      ' ',
    );
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join('\r\n');
}

/**
 * An attachment's file as base64 lines: bytes as random as a JPEG's, ZIP's or PDF's, the same
 * for the same seed. (Until 2026-12-05 a 48 KB random block was repeated, which Brotli found
 * again: the archive's ratio and codec time were those of no real mailbox.) AES-256-CTR under a
 * key from the seed gives the bytes at memory speed.
 */
function base64Lines(bytes: number, seed: number): string {
  const key = createHash('sha256').update(`bench attachment ${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const file = Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
  return file.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function subject(random: () => number, i: number): string {
  const plain = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} #${i}`;
  // 30% carry RFC 2047 encoded words, as mail from non-English senders does.
  return random() < 0.3
    ? `=?UTF-8?B?${Buffer.from(`Grüße: ${plain}`).toString('base64')}?=`
    : plain;
}

export type MailboxKind = 'standard' | 'attachments';
export const MAILBOX_KINDS: readonly MailboxKind[] = ['standard', 'attachments'];

const ATTACHMENT_TYPES = [
  ['application/pdf', 'pdf'],
  ['image/jpeg', 'jpg'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx'],
  ['application/zip', 'zip'],
] as const;

/** Message number i (0-based) of a mailbox of this kind, as RFC 5322 text. */
export function benchMessage(i: number, mailbox: MailboxKind = 'standard'): string {
  const random = seededRandom(i + 1);
  const kind = random();
  if (mailbox === 'attachments') {
    // Its own draw: 20% with attachments; the rest the standard text and alternative shapes.
    const withAttachments = seededRandom(i + 7919)() < 0.2;
    if (withAttachments) return withAttachmentMix(i, random);
    if (kind >= 0.95) return benchMessage(i + 1_000_000, mailbox);
  }
  const date = new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 730) * 86400000 + i * 1000);
  const headers = [
    `From: ${random() < 0.5 ? '=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=' : 'Alice Example'} <sender${i % 97}@example.com>`,
    `To: Bench User <bench@example.com>, team${i % 13}@example.com`,
    `Subject: ${subject(random, i)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-${i}@example.com>`,
    'MIME-Version: 1.0',
  ];
  const body = text(random, 2000 + Math.floor(random() * 18000));
  if (kind < 0.7)
    return [...headers, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n');
  if (kind < 0.95) {
    return [
      ...headers,
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      `<html><body><p>${body.replace(/\r\n/g, '</p><p>')}</p></body></html>`,
      '--alt--',
      '',
    ].join('\r\n');
  }
  const attachment = 100 * 1024 + Math.floor(random() * (1948 * 1024));
  return [
    ...headers,
    'Content-Type: multipart/mixed; boundary="mix"',
    '',
    '--mix',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '--mix',
    `Content-Type: application/pdf; name="report-${i}.pdf"`,
    `Content-Disposition: attachment; filename="report-${i}.pdf"`,
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(attachment, i),
    '--mix--',
    '',
  ].join('\r\n');
}

/** 1-3 attachments of 50 KB - 5 MB, log-uniform, after a text body. */
function withAttachmentMix(i: number, random: () => number): string {
  const count = 1 + Math.floor(random() * 3);
  const parts = Array.from({ length: count }, (_, n) => {
    const [type, extension] = ATTACHMENT_TYPES[Math.floor(random() * ATTACHMENT_TYPES.length)]!;
    const bytes = Math.round(50 * 1024 * 100 ** random());
    return [
      '--mix',
      `Content-Type: ${type}; name="file-${i}-${n}.${extension}"`,
      `Content-Disposition: attachment; filename="file-${i}-${n}.${extension}"`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Lines(bytes, i * 4 + n),
    ];
  });
  const date = new Date(Date.UTC(2023, 0, 1) + Math.floor(random() * 730) * 86400000 + i * 1000);
  return [
    `From: Alice Example <sender${i % 97}@example.com>`,
    `To: Bench User <bench@example.com>`,
    `Subject: ${subject(random, i)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <bench-att-${i}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mix"',
    '',
    '--mix',
    'Content-Type: text/plain; charset=utf-8',
    '',
    text(random, 1000 + Math.floor(random() * 8000)),
    ...parts.flat(),
    '--mix--',
    '',
  ].join('\r\n');
}

/** Writes `count` messages into the user's maildir; returns the total bytes written. */
export function seedMaildir(
  maildir: string,
  count: number,
  mailUser: string | undefined,
  mailbox: MailboxKind = 'standard',
): { bytes: number; perFolder: Record<string, number> } {
  const perFolder: Record<string, number> = {};
  let bytes = 0;
  const dirs = BENCH_FOLDERS.map((folder) => join(maildir, folder.dir));
  for (const dir of dirs)
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  for (let i = 0; i < count; i++) {
    const slot = (i * 0.6180339887) % 1;
    const index =
      slot < BENCH_FOLDERS[0].share
        ? 0
        : slot < BENCH_FOLDERS[0].share + BENCH_FOLDERS[1].share
          ? 1
          : 2;
    const message = Buffer.from(benchMessage(i, mailbox));
    writeFileSync(
      join(dirs[index]!, 'cur', `${1700000000 + i}.M${i}P1.bench,S=${message.length}:2,S`),
      message,
    );
    bytes += message.length;
    perFolder[BENCH_FOLDERS[index]!.name] = (perFolder[BENCH_FOLDERS[index]!.name] ?? 0) + 1;
  }
  if (mailUser) {
    const uid = Number(execFileSync('id', ['-u', mailUser]).toString());
    const gid = Number(execFileSync('id', ['-g', mailUser]).toString());
    execFileSync('chown', ['-R', `${uid}:${gid}`, maildir]);
    chownSync(maildir, uid, gid);
  }
  return { bytes, perFolder };
}

/**
 * Seeds `user`'s maildir in a private Dovecot (test/helpers/dovecot.ts keeps it under
 * `dir/mail/USER`), owned by Dovecot's mail user when run as root, as Dovecot needs it.
 */
export function seedDovecotUser(
  server: { dir: string },
  user: string,
  count: number,
  mailbox: MailboxKind = 'standard',
): { bytes: number; perFolder: Record<string, number> } {
  const mailUser = process.getuid?.() === 0 ? 'dovecot' : undefined;
  return seedMaildir(join(server.dir, 'mail', user), count, mailUser, mailbox);
}

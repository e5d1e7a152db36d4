/**
 * The standard mailbox of the read tests: plain, multipart/alternative with encoded headers,
 * an attachment, a message with no Date and no Message-ID, two different messages sharing a
 * Message-ID, a flagged message with a keyword, a larger message, a reply in Sent, and
 * non-ASCII and nested folder names. Internal dates are fixed so date searches are exact.
 */
import { eml } from './fixtures.js';
import { dovecot, freshUser } from './make-config.js';
import { seedMailbox, type SeedMessage } from './seed.js';

const day = (iso: string): Date => new Date(`${iso}T12:00:00Z`);

export function message(
  subject: string,
  options: { from?: string; id?: string | null; body?: string; date?: string | null } = {},
): Buffer {
  const lines = [
    `From: ${options.from ?? 'Sender <sender@example.com>'}`,
    'To: Alice <alice@example.com>',
    `Subject: ${subject}`,
    ...(options.date === null
      ? []
      : [`Date: ${options.date ?? 'Fri, 19 Jan 2024 10:00:00 +0000'}`]),
    ...(options.id === null
      ? []
      : [`Message-ID: ${options.id ?? `<${subject.replace(/\W+/g, '-')}@example.com>`}`]),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? `Body of ${subject}.`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

export const CORPUS: Record<string, SeedMessage[]> = {
  INBOX: [
    { source: eml('plain.eml'), internalDate: day('2024-01-15'), flags: ['\\Seen'] },
    { source: eml('multipart-alternative.eml'), internalDate: day('2024-01-16') },
    {
      source: eml('attachment.eml'),
      internalDate: day('2024-01-17'),
      flags: ['\\Flagged', '$Important'],
    },
    { source: eml('no-date-no-id.eml'), internalDate: day('2024-01-18') },
    {
      source: message('Duplicate id one', { id: '<same@example.com>' }),
      internalDate: day('2024-02-01'),
    },
    {
      source: message('Duplicate id two', { id: '<same@example.com>', body: 'A different body.' }),
      internalDate: day('2024-02-02'),
    },
    {
      source: message('Big report', { body: 'x'.repeat(20000) }),
      internalDate: day('2024-03-01'),
      flags: ['\\Seen', '\\Answered'],
    },
  ],
  Sent: [{ source: eml('sent-reply.eml'), internalDate: day('2024-01-15'), flags: ['\\Seen'] }],
  Überweisungen: [{ source: eml('multipart-alternative.eml'), internalDate: day('2024-01-16') }],
  'Archiv/2024': [
    {
      source: message('Archived note', { from: 'Carol <carol@example.org>' }),
      internalDate: day('2023-12-31'),
    },
  ],
};

/** A fresh user with the standard mailbox. */
export async function corpusUser(prefix = 'r'): Promise<{ name: string; password: string }> {
  const user = freshUser(prefix);
  await seedMailbox(dovecot(), user, CORPUS);
  return user;
}

import { createHash } from 'node:crypto';
import type { simpleParser as SimpleParser } from 'mailparser';
import { loadOnFirstUse } from '../load-on-first-use.js';
import type { MessageProblem } from '../message-limits.js';

// Only select "full" parses bodies with mailparser, which costs a CLI start ~0.25 s.
const loadParser = loadOnFirstUse<{ simpleParser: typeof SimpleParser }>('mailparser');

export interface DecodedAttachment {
  /** The MIME section it was fetched by; absent when mailparser found it in a whole source. */
  part?: string;
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  content?: string | null;
}

/** What select "full" (or "text") adds to a row: bodies and attachment hashes. */
export interface ParsedBody {
  text: string | null;
  html: string | null;
  /** Decoded attachments; null when none were downloaded (select "text"). */
  attachments: DecodedAttachment[] | null;
  warnings: string[];
  /** The source could not be parsed at all (beyond mailparser's limits, broken MIME). */
  problem?: MessageProblem;
}

export interface ParseBodyOptions {
  /** Include attachment content (base64) up to this many decoded bytes each; undefined: never. */
  attachmentContentMaxBytes?: number;
}

/** An attachment's size and SHA-256, from its decoded bytes whole or in pieces. */
export interface AttachmentDigest {
  size: number;
  sha256: string;
}

/** The size and SHA-256 of bytes handed over in pieces (each valid only during its call). */
export function digestPieces(pieces: (take: (piece: Buffer) => void) => void): AttachmentDigest {
  const hash = createHash('sha256');
  let size = 0;
  pieces((piece) => {
    size += piece.length;
    hash.update(piece);
  });
  return { size, sha256: hash.digest('hex') };
}

/**
 * An attachment's decoded bytes -> its size, SHA-256 and, when asked for, its content (base64)
 * up to attachmentContentMaxBytes; a larger one is left out with a warning. Without content
 * asked for, a digest made from pieces (`AttachmentDigest`) serves as well as the bytes.
 */
export function decodedAttachment(
  content: Buffer | AttachmentDigest,
  meta: Pick<DecodedAttachment, 'part' | 'filename' | 'contentType'>,
  options: ParseBodyOptions,
  warnings: string[],
): DecodedAttachment {
  const digest = Buffer.isBuffer(content)
    ? { size: content.length, sha256: createHash('sha256').update(content).digest('hex') }
    : content;
  const decoded: DecodedAttachment = { ...meta, ...digest };
  const max = options.attachmentContentMaxBytes;
  if (max !== undefined) {
    const fits = digest.size <= max;
    if (!fits)
      warnings.push(
        `attachment ${JSON.stringify(decoded.filename)} is larger than ${max} bytes; content left out`,
      );
    decoded.content = fits && Buffer.isBuffer(content) ? content.toString('base64') : null;
  }
  return decoded;
}

/**
 * Parses a full message source with mailparser: charsets, RFC 2047 / 2231 words and
 * transfer encodings decoded, invalid bytes replaced. Never throws: a message that cannot be
 * parsed yields empty bodies and a warning, so one bad message never fails a page.
 */
export async function parseBody(
  source: Buffer,
  options: ParseBodyOptions = {},
): Promise<ParsedBody> {
  try {
    const { simpleParser } = loadParser();
    const mail = await simpleParser(source, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
    });
    const warnings: string[] = [];
    const attachments = mail.attachments.map((attachment) =>
      decodedAttachment(
        attachment.content,
        {
          filename: attachment.filename ?? null,
          contentType: attachment.contentType.toLowerCase(),
        },
        options,
        warnings,
      ),
    );
    return {
      text: mail.text ?? null,
      html: typeof mail.html === 'string' ? mail.html : null,
      attachments,
      warnings,
    };
  } catch (error) {
    const why = `body could not be parsed: ${(error as Error).message}`;
    return {
      text: null,
      html: null,
      attachments: [],
      warnings: [why],
      problem: { code: 'MESSAGE_UNPARSABLE', message: `The message ${why}.` },
    };
  }
}

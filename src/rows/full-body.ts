/**
 * The body of a `full` row from the MIME parts it downloaded by section (issue 13): text and
 * html as `text` rows have them (text-body.ts), and each attachment of the BODYSTRUCTURE fetched
 * by its own section, its transfer encoding undone, hashed with native SHA-256. Text, html and
 * attachments come from one tree, so a hash can never belong to another part.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { attachmentNodes, filenameOf, mediaTypeOf } from './attachments.js';
import { eachBase64Piece } from './base64-chunks.js';
import { transferDecode } from './decode-part.js';
import {
  decodedAttachment,
  digestPieces,
  type DecodedAttachment,
  type ParsedBody,
  type ParseBodyOptions,
} from './parse-body.js';
import { textBody } from './text-body.js';

/** A message's attachments, decoded and hashed, and what went wrong with them. */
export interface DigestedAttachments {
  attachments: DecodedAttachment[];
  warnings: string[];
}

/** Decodes and hashes each attachment of the BODYSTRUCTURE from the parts fetched by section. */
export function digestAttachments(
  message: FetchedMessage,
  options: ParseBodyOptions = {},
): DigestedAttachments {
  const digested: DigestedAttachments = { attachments: [], warnings: [] };
  for (const node of attachmentNodes(message.bodyStructure)) {
    const part = node.part ?? '1';
    const bytes = message.bodyParts?.get(part);
    if (!bytes) {
      digested.warnings.push(`part ${part} was not answered by the server`);
      continue;
    }
    const encoding = (node.encoding ?? '7bit').toLowerCase();
    // Without content asked for, base64 is hashed as it is decoded: no decoded copy is held.
    const content =
      encoding === 'base64' && options.attachmentContentMaxBytes === undefined
        ? digestPieces((take) => eachBase64Piece(bytes, take))
        : transferDecode(bytes, encoding);
    digested.attachments.push(
      decodedAttachment(
        content,
        { part, filename: filenameOf(node), contentType: mediaTypeOf(node) },
        options,
        digested.warnings,
      ),
    );
  }
  return digested;
}

/**
 * The body of a full row: text and html from the text parts, attachments as digested when
 * their bytes arrived (`digested`, so they need not be kept), else from the parts now.
 */
export function fullBody(
  message: FetchedMessage,
  options: ParseBodyOptions = {},
  digested: DigestedAttachments = digestAttachments(message, options),
): ParsedBody {
  const body = textBody(message);
  body.warnings.push(...digested.warnings);
  return { ...body, attachments: digested.attachments };
}

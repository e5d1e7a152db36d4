/**
 * The body of a `full` row from the MIME parts it downloaded by section (issue 13): text and
 * html as `text` rows have them (text-body.ts), and each attachment of the BODYSTRUCTURE fetched
 * by its own section, its transfer encoding undone, hashed with native SHA-256. Text, html and
 * attachments come from one tree, so a hash can never belong to another part.
 */
import { createHash } from 'node:crypto';
import type { FetchedMessage } from '../fetched-message.js';
import { attachmentNodes, mediaTypeOf } from './attachments.js';
import { transferDecode } from './decode-part.js';
import type { DecodedAttachment, ParsedBody, ParseBodyOptions } from './parse-body.js';
import { textBody } from './text-body.js';

/** The sections a full row downloads: its text parts and every attachment. */
export function attachmentSections(message: FetchedMessage): string[] {
  return attachmentNodes(message.bodyStructure).map((node) => node.part ?? '1');
}

export function fullBody(message: FetchedMessage, options: ParseBodyOptions = {}): ParsedBody {
  const body = textBody(message);
  const attachments: DecodedAttachment[] = [];
  for (const node of attachmentNodes(message.bodyStructure)) {
    const part = node.part ?? '1';
    const bytes = message.bodyParts?.get(part);
    if (!bytes) {
      body.warnings.push(`part ${part} was not answered by the server`);
      continue;
    }
    const content = transferDecode(bytes, (node.encoding ?? '7bit').toLowerCase());
    const decoded: DecodedAttachment = {
      part,
      filename: node.dispositionParameters?.filename ?? node.parameters?.name ?? null,
      contentType: mediaTypeOf(node),
      size: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    };
    if (options.attachmentContentMaxBytes !== undefined) {
      const fits = content.length <= options.attachmentContentMaxBytes;
      if (!fits)
        body.warnings.push(
          `attachment ${JSON.stringify(decoded.filename)} is larger than ${options.attachmentContentMaxBytes} bytes; content left out`,
        );
      decoded.content = fits ? content.toString('base64') : null;
    }
    attachments.push(decoded);
  }
  return { ...body, attachments };
}

/**
 * The body of a `full` row from the MIME parts it downloaded by section (issue 13): text and
 * html as `text` rows have them (text-body.ts), and each attachment of the BODYSTRUCTURE fetched
 * by its own section, its transfer encoding undone, hashed with native SHA-256. Text, html and
 * attachments come from one tree, so a hash can never belong to another part.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { attachmentNodes, filenameOf, mediaTypeOf } from './attachments.js';
import { transferDecode } from './decode-part.js';
import {
  decodedAttachment,
  type DecodedAttachment,
  type ParsedBody,
  type ParseBodyOptions,
} from './parse-body.js';
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
    attachments.push(
      decodedAttachment(
        content,
        { part, filename: filenameOf(node), contentType: mediaTypeOf(node) },
        options,
        body.warnings,
      ),
    );
  }
  return { ...body, attachments };
}

/**
 * The body of a `text` row from the MIME parts it downloaded (text-parts.ts), decoded one by
 * one (decode-part.ts). Attachments are left as BODYSTRUCTURE describes them: not one of
 * their bytes is downloaded, so their size and hash stay null.
 */
import type { FetchedMessage } from '../fetched-message.js';
import { decodePart } from './decode-part.js';
import type { ParsedBody } from './parse-body.js';
import { textParts, type TextPart } from './text-parts.js';

export function textBody(message: FetchedMessage): ParsedBody {
  const parts = textParts(message.bodyStructure);
  const warnings: string[] = [];
  const joined = (list: TextPart[]): string | null => {
    if (list.length === 0) return null;
    return list
      .map((part) => {
        const bytes = message.bodyParts?.get(part.section);
        if (!bytes) {
          warnings.push(`part ${part.section} was not answered by the server`);
          return '';
        }
        const decoded = decodePart(bytes, part);
        if (decoded.warning) warnings.push(decoded.warning);
        return decoded.text;
      })
      .join('\n');
  };
  return { text: joined(parts.text), html: joined(parts.html), attachments: null, warnings };
}

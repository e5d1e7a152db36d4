/**
 * File names of parts the server could not type (issue 24): for a part with an invalid
 * Content-Type (`application; name="report.pdf"`), Dovecot's BODYSTRUCTURE gives "" "" and no
 * parameters, so the row lost the attachment's name and counted its bytes as text. Such a part
 * (RFC 2045 section 5.2: text/plain by default) gets its name back from its own MIME header,
 * fetched for those parts alone (BODY.PEEK[n.MIME]); a named part is an attachment.
 */
import type { MessageStructureObject } from 'imapflow';
import type { FetchedMessage } from '../fetched-message.js';
import type { Session } from '../imap/open-session.js';
import { parseHeaderBlock } from '../rows/message-to-row.js';
import { mimeParameters } from '../rows/mime-parameters.js';
import { fetchFor } from './part-plan.js';

/** Leaf parts without a media type, in tree order (the tree is within the MIME limits). */
function untyped(root: MessageStructureObject | undefined): MessageStructureObject[] {
  const found: MessageStructureObject[] = [];
  const walk = (node: MessageStructureObject): void => {
    const children = node.childNodes ?? [];
    if (children.length === 0 && (node.type ?? '/').replace('/', '') === '') found.push(node);
    for (const child of children) walk(child);
  };
  if (root) walk(root);
  return found;
}

/** Takes a part's name, file name and disposition from its MIME header bytes. */
function applyHeader(node: MessageStructureObject, header: Buffer): void {
  const fields = parseHeaderBlock(header);
  const type = fields['content-type']?.[0];
  const disposition = fields['content-disposition']?.[0];
  if (type) node.parameters = { ...mimeParameters(type), ...node.parameters };
  if (disposition) {
    node.disposition ??= disposition.split(';')[0]!.trim().toLowerCase();
    node.dispositionParameters = { ...mimeParameters(disposition), ...node.dispositionParameters };
  }
}

export async function addPartNames(session: Session, messages: FetchedMessage[]): Promise<void> {
  const bySections = new Map<
    string,
    { message: FetchedMessage; parts: MessageStructureObject[] }[]
  >();
  for (const message of messages) {
    const parts = untyped(message.bodyStructure);
    if (parts.length === 0) continue;
    const key = parts.map((part) => part.part ?? '1').join(' ');
    bySections.set(key, [...(bySections.get(key) ?? []), { message, parts }]);
  }
  for (const [key, group] of bySections) {
    const sections = key.split(' ').map((part) => `${part}.MIME`);
    const partsOf = new Map(group.map((entry) => [entry.message.uid, entry.parts]));
    await fetchFor(
      session,
      group.map((entry) => entry.message),
      { uid: true, bodyParts: sections },
      (message, answer) => {
        for (const part of partsOf.get(message.uid) ?? []) {
          const header = answer?.bodyParts?.get(`${part.part ?? '1'}.MIME`);
          if (header) applyHeader(part, header);
        }
      },
    );
  }
}

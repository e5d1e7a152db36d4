/**
 * BODYSTRUCTURE (RFC 3501 section 7.4.2) -> imapflow's structure object, node for node what
 * imapflow's parseBodystructure gives (test/unit/imap/bodystructure.test.ts holds the two equal
 * on hand-written and generated structures), at less cost: imapflow ran libmime over every
 * parameter value and three regular expressions over every parameter name, built each part
 * number from arrays, and was 5% of an envelope read. Parameters that use RFC 2231 (a name with
 * "*", or a filename that looks encoded) still go through imapflow's own decoder, which
 * reassembles them.
 */
import type { MessageStructureObject } from 'imapflow';
import { str, type Node } from './fetch-tokens.js';
import { decodeWords } from './decode-words.js';
import { decodeEnvelope } from './envelope.js';
import { getStructuredParams } from './imapflow-internals.js';

type Params = Record<string, string>;

// imapflow drops these parameter names, so that a server cannot reach Object.prototype.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// imapflow's test for an RFC 2231 value in a plain filename (charset'language'value).
const ENCODED_FILENAME = /^[a-z\-_0-9]+'[a-z]*'[^'\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uffff]+/;

/** A token's value as imapflow reads it (`(node || {}).value || ''`, as text); "" for NIL or a list. */
function textOf(node: Node | undefined): string {
  return str(node) ?? '';
}

/** imapflow's lenient `Number(node.value || 0) || 0`: 0 for anything that is not a number. */
function looseNumberOf(node: Node): number {
  return Number(textOf(node) || 0) || 0;
}

/** A parameter list -> name/value pairs, as imapflow's getStructuredParams gives them. */
function paramsOf(list: Node): Params {
  const items = Array.isArray(list) ? list : [list];
  const params: Params = {};
  let key = '';
  let continued = false;
  for (let j = 0; j < items.length; j++) {
    if (j % 2 === 0) {
      key = textOf(items[j]).toLowerCase();
      continued ||= key.includes('*');
    } else if (!UNSAFE_KEYS.has(key)) params[key] = decodeWords(textOf(items[j]));
  }
  const filename = params.filename;
  const encodedFilename =
    filename !== undefined && !params['filename*'] && ENCODED_FILENAME.test(filename);
  // Continuations (name*0, name*1*) and encoded values: imapflow's own reassembly, rare.
  if (continued || encodedFilename) return getStructuredParams(items as never);
  return params;
}

/** The part number of the `n`th child of the part at `path` ("" at the top). */
function childPath(path: string, n: number): string {
  return path ? `${path}.${n}` : String(n);
}

/** One body part and everything inside it, with its part number. */
function walk(input: Node, path: string): MessageStructureObject {
  // imapflow indexes whatever it is given: a token that is no list reads as an empty one.
  const node = Array.isArray(input) ? input : [];
  const part: Record<string, unknown> = {};
  let i = 0;
  if (path) part.part = path;
  if (Array.isArray(node[0])) {
    const children: MessageStructureObject[] = [];
    part.childNodes = children;
    let n = 0;
    while (Array.isArray(node[i])) children.push(walk(node[i++]!, childPath(path, ++n)));
    part.type = `multipart/${textOf(node[i++]).toLowerCase()}`;
    if (i < node.length) {
      if (node[i]) part.parameters = paramsOf(node[i]!);
      i++;
    }
  } else {
    i = singlePart(node, path, part);
  }
  extensions(node, i, part);
  return part as unknown as MessageStructureObject;
}

/** The fields of a part that is no multipart, into `part`; returns where its extensions start. */
function singlePart(node: Node[], path: string, part: Record<string, unknown>): number {
  const type = `${textOf(node[0]).toLowerCase()}/${textOf(node[1]).toLowerCase()}`;
  part.type = type;
  if (node[2]) part.parameters = paramsOf(node[2]);
  if (node[3]) part.id = textOf(node[3]);
  if (node[4]) part.description = textOf(node[4]);
  if (node[5]) part.encoding = textOf(node[5]).toLowerCase();
  if (node[6]) part.size = looseNumberOf(node[6]);
  let i = 7;
  if (type === 'message/rfc822') {
    const envelope = node[7];
    if (envelope) part.envelope = decodeEnvelope(Array.isArray(envelope) ? envelope : [envelope]);
    // The message inside shares its wrapper's part number (path.MIME against path.HEADER).
    if (node[8]) part.childNodes = [walk(node[8], path)];
    if (node[9]) part.lineCount = looseNumberOf(node[9]);
    i = 10;
  }
  if (type.startsWith('text/')) {
    // Some servers leave out a text part's line count: then the disposition sits in its place.
    const shifted = node.length === 11 && Array.isArray(node[i + 1]) && !Array.isArray(node[i + 2]);
    if (!shifted) {
      if (node[i]) part.lineCount = looseNumberOf(node[i]!);
      i++;
    }
  }
  if (i < node.length) {
    if (node[i]) part.md5 = textOf(node[i]).toLowerCase();
    i++;
  }
  return i;
}

/** Disposition, language and location, which every part may carry after its own fields. */
function extensions(node: Node[], start: number, part: Record<string, unknown>): void {
  let i = start;
  if (i < node.length) {
    const disposition = node[i];
    if (Array.isArray(disposition) && disposition.length) {
      part.disposition = textOf(disposition[0]).toLowerCase();
      if (Array.isArray(disposition[1])) part.dispositionParameters = paramsOf(disposition[1]);
    }
    i++;
  }
  if (i < node.length) {
    const language = node[i];
    if (language)
      part.language = (Array.isArray(language) ? language : [language]).map((value) =>
        textOf(value).toLowerCase(),
      );
    i++;
  }
  if (i < node.length && node[i]) part.location = textOf(node[i]);
}

/** The structure of one FETCH response's BODYSTRUCTURE, as imapflow's parseBodystructure gives it. */
export function decodeBodystructure(entry: Node[]): MessageStructureObject {
  return walk(entry, '');
}

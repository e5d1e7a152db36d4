import { describe, expect, it } from 'vitest';
import { HeaderDedupeIndex } from '../../../src/write/dedupe-index.js';
import {
  headerKeys,
  identify,
  parseHeaderFields,
  splitMessage,
} from '../../../src/write/message-identity.js';

const mail = (subject: string, body: string, id: string | null = `<${subject}@x>`): Buffer =>
  Buffer.from(
    [`Subject: ${subject}`, 'From: a@x', ...(id ? [`Message-ID: ${id}`] : []), '', body].join(
      '\r\n',
    ),
  );

/** A fake folder: header keys for the index, bodies on request, with a log of what was read. */
function folder(messages: Buffer[]) {
  const reads: number[][] = [];
  const indexed = messages.map((raw, i) => ({
    uid: i + 1,
    ...headerKeys(parseHeaderFields(splitMessage(raw).header)),
  }));
  const readBodies = async (uids: number[]) => {
    reads.push(uids);
    return new Map(uids.map((uid) => [uid, splitMessage(messages[uid - 1]!).body]));
  };
  return { indexed, readBodies, reads };
}

describe('HeaderDedupeIndex', () => {
  it('compares a look-alike without Message-ID with the body of a message stored unhashed this run, read by its UID there', async () => {
    const stored = mail('same', 'the body');
    const f = folder([stored]);
    // Empty at the start; the message then stored at UID 1, by its Message-ID key alone.
    const index = new HeaderDedupeIndex('message-id', [], f.readBodies);
    index.add(identify(stored, true), 1);
    const lookAlike = identify(mail('same', 'the body', null));
    const other = identify(mail('same', 'another body', null));
    expect(await index.contains([lookAlike, other])).toEqual([true, false]);
    expect(f.reads).toEqual([[1]]);
    // Without its UID (no APPENDUID) there is nothing to read: not a duplicate.
    const blind = new HeaderDedupeIndex('message-id', [], f.readBodies);
    blind.add(identify(stored, true));
    expect(await blind.contains([lookAlike])).toEqual([false]);
  });

  it('answers Message-ID lookups without reading a body', async () => {
    const f = folder([mail('one', 'a'), mail('two', 'b')]);
    const index = new HeaderDedupeIndex('message-id', f.indexed, f.readBodies);
    expect(
      await index.contains([identify(mail('one', 'a')), identify(mail('three', 'c'))]),
    ).toEqual([true, false]);
    expect(f.reads).toEqual([]);
  });

  it('reads only the bodies whose headers match, all of a batch at once, and each once', async () => {
    const f = folder([mail('n1', 'a', null), mail('n2', 'b', null), mail('n1', 'other', null)]);
    const index = new HeaderDedupeIndex('message-id', f.indexed, f.readBodies);
    expect(
      await index.contains([
        identify(mail('n1', 'a', null)),
        identify(mail('n2', 'changed', null)),
        identify(mail('n9', 'z', null)),
      ]),
    ).toEqual([true, false, false]);
    expect(f.reads).toEqual([[1, 2, 3]]);
    expect(await index.contains([identify(mail('n1', 'other', null))])).toEqual([true]);
    expect(f.reads).toHaveLength(1);
  });

  it('in hash mode compares bodies even when Message-IDs match', async () => {
    const f = folder([mail('same', 'original body')]);
    const index = new HeaderDedupeIndex('hash', f.indexed, f.readBodies);
    expect(await index.contains([identify(mail('same', 'a different body'))])).toEqual([false]);
    expect(await index.contains([identify(mail('same', 'original body'))])).toEqual([true]);
  });

  it('remembers what this run stored, and mode none finds nothing', async () => {
    const f = folder([mail('x', 'y')]);
    const index = new HeaderDedupeIndex('message-id', [], f.readBodies);
    const identity = identify(mail('new', 'body', null));
    expect(await index.contains([identity])).toEqual([false]);
    index.add(identity);
    expect(await index.contains([identity])).toEqual([true]);
    expect(
      await new HeaderDedupeIndex('none', f.indexed, f.readBodies).contains([
        identify(mail('x', 'y')),
      ]),
    ).toEqual([false]);
  });
});

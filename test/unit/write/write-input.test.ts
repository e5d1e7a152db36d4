import { describe, expect, it } from 'vitest';
import { parseWriteInput } from '../../../src/write/write-input.js';

function fields(input: unknown): string[] {
  try {
    parseWriteInput(input);
  } catch (error) {
    return (error as { details: { issues: { field: string }[] } }).details.issues.map(
      (issue) => issue.field,
    );
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('parseWriteInput', () => {
  it('decodes base64 and utf8 sources, dates as ISO or milliseconds, INBOX by default', () => {
    const input = parseWriteInput({
      messages: [
        {
          raw: Buffer.from('Subject: a\r\n\r\nb').toString('base64'),
          internalDate: '2024-01-01T00:00:00Z',
        },
        { raw: 'Subject: c\r\n\r\nd', encoding: 'utf8', internalDate: 0, flags: ['\\Seen'] },
      ],
    });
    expect(input.folder).toBe('INBOX');
    expect(input.messages.map((m) => m.raw.toString())).toEqual([
      'Subject: a\r\n\r\nb',
      'Subject: c\r\n\r\nd',
    ]);
    expect(input.messages.map((m) => m.internalDate?.toISOString())).toEqual([
      '2024-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    ]);
    expect(input.messages[1]!.flags).toEqual(['\\Seen']);
  });

  it('accepts rows (extra fields are ignored)', () => {
    expect(
      parseWriteInput({ messages: [{ raw: 'QQ==', uid: 4, subject: 'x', flags: [] }] }).messages,
    ).toHaveLength(1);
  });

  it('names each bad field', () => {
    expect(
      fields({ messages: [{ raw: '***' }, { raw: 'QQ==', internalDate: 'yesterday' }, {}] }),
    ).toEqual(['/messages/1/internalDate', '/messages/2/raw']);
    expect(fields({ messages: [{ raw: '***' }] })).toEqual(['/messages/0/raw']);
    expect(fields({ folder: '', messages: [{ raw: 'QQ==' }], extra: 1 })).toEqual([
      '/extra',
      '/folder',
    ]);
  });
});

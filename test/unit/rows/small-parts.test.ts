import { describe, expect, it } from 'vitest';
import { formatDate } from '../../../src/rows/format-date.js';
import { inferSchema } from '../../../src/rows/infer-schema.js';
import { parseBody } from '../../../src/rows/parse-body.js';
import { compileProjection } from '../../../src/rows/projection.js';
import { resolveSelect } from '../../../src/rows/select.js';

describe('formatDate', () => {
  const date = new Date('2024-03-05T07:08:09.010Z');
  it.each([
    ['ISO8601', '2024-03-05T07:08:09.010Z'],
    ['epochMillis', date.getTime()],
    ['yyyy-MM-dd HH:mm:ss', '2024-03-05 07:08:09'],
    ['dd.MM.yyyy', '05.03.2024'],
    ['yyyyMMddHHmmssSSS', '20240305070809010'],
  ])('%s', (format, expected) => expect(formatDate(date, format)).toBe(expected));
  it('keeps null', () => expect(formatDate(null, 'ISO8601')).toBeNull());
});

describe('inferSchema', () => {
  it('merges types, marks fields present in every sample as required, and types array items', () => {
    expect(
      inferSchema([
        { a: 1, b: 'x', c: [1, 2] },
        { a: 2.5, c: [], d: null },
      ]),
    ).toEqual({
      type: 'object',
      properties: {
        a: { type: 'number' },
        b: { type: 'string' },
        c: { type: 'array', items: { type: 'integer' } },
        d: { type: 'null' },
      },
      required: ['a', 'c'],
    });
    expect(inferSchema(['a', null])).toEqual({ type: ['null', 'string'] });
    expect(inferSchema([])).toEqual({});
  });
});

describe('compileProjection', () => {
  it('evaluates and caches by text', async () => {
    const projection = compileProjection('{ "s": $uppercase(subject) }');
    expect(await projection.evaluate({ subject: 'hi' })).toEqual({ s: 'HI' });
    expect(compileProjection('{ "s": $uppercase(subject) }').source).toBe(projection.source);
  });

  it('reports a syntax error with its position as QUERY_INVALID', () => {
    expect(() => compileProjection('{ "a": ')).toThrow(
      expect.objectContaining({
        code: 'QUERY_INVALID',
        field: '/select',
        details: expect.objectContaining({ position: expect.any(Number) }),
      }),
    );
  });

  it('ends a projection that would loop forever within its time budget + 10% (issue 9)', async () => {
    // Tail recursion JSONata optimises into a loop: no stack limit stops it, only the clock.
    const forever = compileProjection('($loop := function($n) { $loop($n + 1) }; $loop(0))', 300);
    const started = Date.now();
    await expect(forever.evaluate({})).rejects.toMatchObject({
      code: 'PROJECTION_FAILED',
      message: expect.stringMatching(/longer than 300 ms|recursed too deeply/),
    });
    expect(Date.now() - started).toBeLessThanOrEqual(330);
  });

  it('ends deep recursion with PROJECTION_FAILED, not a crash', async () => {
    const deep = compileProjection(
      '($down := function($n) { $n = 0 ? 0 : 1 + $down($n - 1) }; $down(100000))',
      10_000,
    );
    await expect(deep.evaluate({})).rejects.toMatchObject({
      code: 'PROJECTION_FAILED',
      message: expect.stringMatching(/recursed too deeply/),
    });
  });

  it('reports an evaluation error as PROJECTION_FAILED', async () => {
    await expect(
      compileProjection('$number("abc") + $error("boom")').evaluate({}),
    ).rejects.toMatchObject({ code: 'PROJECTION_FAILED' });
  });
});

describe('resolveSelect', () => {
  it.each([
    [{}, 'envelope'],
    [{ select: 'full' }, 'full'],
    [{ select: 'envelope' }, 'envelope'],
    [{ select: 'subject' }, 'envelope'],
    [{ select: 'text' }, 'text'],
    [{ select: '$.html' }, 'text'],
    [{ select: '{"t": text, "s": subject}' }, 'text'],
    [{ select: 'attachments.sha256' }, 'full'],
    [{ select: '{"t": text, "n": attachments.size}' }, 'full'],
    [{ attachmentContentMaxBytes: 1000 }, 'full'],
  ])('%j fetches %s', (options, level) => expect(resolveSelect(options).level).toBe(level));
});

describe('parseBody', () => {
  it('decodes bodies and hashes attachments', async () => {
    const source = Buffer.from(
      "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''%C3%BC.bin\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--x--\r\n",
    );
    const body = await parseBody(source, { attachmentContentMaxBytes: 2 });
    expect(body.text).toBe('Grüße');
    expect(body.attachments).toEqual([
      {
        filename: 'ü.bin',
        contentType: 'application/octet-stream',
        size: 3,
        sha256: 'ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc',
        content: null,
      },
    ]);
    expect(body.warnings).toEqual(['attachment "ü.bin" is larger than 2 bytes; content left out']);
  });

  it('keeps the text of a multipart without its closing boundary (PITFALLS 9)', async () => {
    const source = Buffer.from(
      'Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nstill here\r\n',
    );
    expect((await parseBody(source)).text).toBe('still here\n');
  });
});

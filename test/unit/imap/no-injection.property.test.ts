/**
 * No input to any option can put CR, LF or NUL on the wire outside a literal (issue 9: a
 * `--headers` value with CR LF once made a read delete every message). Every command the
 * connector builds is checked here with random input: the bulk FETCH line it writes itself,
 * and the UID SEARCH and MULTIAPPEND arguments compiled by imapflow's own compiler. Each
 * input either fails validation with a typed error before any I/O, or compiles to lines
 * whose only line ends are the ones that announce a literal.
 */
import fc from 'fast-check';
import compiler from 'imapflow/lib/handler/imap-compiler.js';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/validate-config.js';
import { isConnectorError } from '../../../src/errors.js';
import { appendedMessageHead, appendLine, uidFetchLine } from '../../../src/imap/command-line.js';
import { encodeMailboxName } from '../../../src/imap/mailbox-name.js';
import { fetchItemsText } from '../../../src/imap/fetch-items.js';
import { fetchFields } from '../../../src/read/fetch-fields.js';
import { prepareRead } from '../../../src/read/prepare-read.js';
import { searchArguments } from '../../../src/imap/uid-search.js';
import { multiAppendAttributes, storableFlags } from '../../../src/imap/append.js';

const CONFIG = validateConfig({ server: '127.0.0.1', username: 'u', password: 'p' });
const CAPABILITIES = new Set(['IMAP4REV1', 'ESEARCH', 'X-GM-EXT-1']);
const BREAKS = /[\r\n\0]/;
// Any text, weighted towards the bytes that matter: line ends, NUL, quotes, brackets.
const HOSTILE = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\r', '\n', '\0', '"', '\\', '(', ')', '{', '}', ']', ' ', ':', '*'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});

/** The lines of a compiled command with the literals taken out: what a server reads as commands. */
function linesOutsideLiterals(parts: Buffer[]): string[] {
  const lines: string[] = [];
  let skip = 0;
  for (const part of parts) {
    let text = part.subarray(skip).toString('latin1');
    const literal = /\{(\d+)\+?\}\r\n$/.exec(text);
    if (literal) text = text.slice(0, literal.index);
    skip = literal ? Number(literal[1]) : 0;
    lines.push(text);
  }
  return lines;
}

async function compiledLines(command: string, attributes: readonly unknown[]): Promise<string[]> {
  const parts = await compiler({ tag: 'A1', command, attributes } as never, { asArray: true });
  return linesOutsideLiterals(parts);
}

/** Runs `build`; a typed connector error (validation) is an accepted outcome, anything else is not. */
async function linesOrRefusal(build: () => Promise<string[]> | string[]): Promise<string[]> {
  try {
    return await build();
  } catch (error) {
    if (isConnectorError(error) && error.code !== 'INTERNAL') return [];
    throw error;
  }
}

const RUNS = { numRuns: 400 };

describe('commands built from user input', () => {
  it('never carry CR, LF or NUL in the bulk FETCH line, whatever the header names', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(HOSTILE, { maxLength: 4 }), async (headers) => {
        const lines = await linesOrRefusal(() => {
          const plan = prepareRead(CONFIG, 'ALL', { headers });
          return [
            uidFetchLine('X1', '1:*', fetchItemsText(fetchFields(plan.select, CAPABILITIES))),
          ];
        });
        for (const line of lines) expect(line).not.toMatch(BREAKS);
      }),
      RUNS,
    );
  });

  it('never carry them in UID SEARCH, whatever the query text', async () => {
    const words = fc.constantFrom(
      'FROM',
      'SUBJECT',
      'HEADER',
      'BODY',
      'KEYWORD',
      'OR',
      'NOT',
      'TEXT',
      'X-GM-RAW',
      'UID',
      '(',
      ')',
    );
    const text = fc
      .array(
        fc.oneof(
          words,
          HOSTILE.map((value) => JSON.stringify(value)),
          HOSTILE,
        ),
        { maxLength: 6 },
      )
      .map((parts) => parts.join(' '));
    await fc.assert(
      fc.asyncProperty(text, async (query) => {
        const lines = await linesOrRefusal(async () => {
          const plan = prepareRead(CONFIG, query);
          return compiledLines(
            'UID SEARCH',
            searchArguments({ capabilities: CAPABILITIES } as never, plan.attributes),
          );
        });
        for (const line of lines) expect(line).not.toMatch(BREAKS);
      }),
      RUNS,
    );
  });

  it('never carry them in UID SEARCH from a structured query a host passes as JSON', async () => {
    const criterion = fc.oneof(
      fc.record({ key: fc.constantFrom('FROM', 'SUBJECT', 'BODY', 'TEXT', 'TO'), value: HOSTILE }),
      fc.record({ key: fc.constant('HEADER'), field: HOSTILE, value: HOSTILE }),
      fc.record({ key: fc.constantFrom('KEYWORD', 'UNKEYWORD'), keyword: HOSTILE }),
      fc.record({ key: fc.constant('UID'), set: HOSTILE }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(criterion, { minLength: 1, maxLength: 3 }),
        fc.array(HOSTILE, { maxLength: 2 }),
        async (criteria, folders) => {
          const lines = await linesOrRefusal(async () => {
            const plan = prepareRead(CONFIG, { criteria, folders: { include: folders } });
            return compiledLines('UID SEARCH', plan.attributes);
          });
          for (const line of lines) expect(line).not.toMatch(BREAKS);
        },
      ),
      RUNS,
    );
  });

  it('never carry them in MULTIAPPEND, whatever the folder name and flags', async () => {
    await fc.assert(
      fc.asyncProperty(
        HOSTILE,
        fc.array(HOSTILE, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 64 }),
        async (folder, flags, raw) => {
          const lines = await linesOrRefusal(() =>
            compiledLines(
              'APPEND',
              multiAppendAttributes(
                folder,
                [{ raw: Buffer.from(raw), flags, internalDate: new Date(0) }],
                undefined,
              ),
            ),
          );
          for (const line of lines) expect(line).not.toMatch(BREAKS);
        },
      ),
      RUNS,
    );
  });

  it('never carry them in the pipelined MULTIAPPEND the connector writes itself (LITERAL+)', async () => {
    await fc.assert(
      fc.asyncProperty(
        HOSTILE,
        fc.array(HOSTILE, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 64 }),
        async (folder, flags, raw) => {
          const message = { raw: Buffer.from(raw), flags, internalDate: new Date(0) };
          const lines = await linesOrRefusal(() =>
            linesOutsideLiterals([
              Buffer.from(
                `${appendLine('X1', encodeMailboxName(folder))}${appendedMessageHead(
                  storableFlags(message, undefined),
                  '01-Jan-1970 00:00:00 +0000',
                  message.raw.length,
                )}`,
                'latin1',
              ),
              message.raw, // the command's own CRLF follows it
            ]),
          );
          for (const line of lines) expect(line).not.toMatch(BREAKS);
        },
      ),
      RUNS,
    );
  });

  it('refuses the header value that once deleted a mailbox, before any connection', () => {
    const attack =
      'Subject)]\r\nA1 SELECT INBOX\r\nA2 STORE 1:* +FLAGS (\\Deleted)\r\nA3 EXPUNGE\r\nA4 NOOP (x';
    expect(() => prepareRead(CONFIG, 'ALL', { headers: [attack] })).toThrow(
      expect.objectContaining({ code: 'QUERY_INVALID', field: '/headers' }),
    );
  });
});

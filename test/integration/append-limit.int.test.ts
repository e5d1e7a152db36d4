/**
 * APPENDLIMIT (RFC 7889) is honoured on the client side: a message over the announced limit is
 * reported MESSAGE_TOO_LARGE and never sent. A second private Dovecot announces the limit
 * (Dovecot 2.3 does not announce one of its own).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { write } from '../../src/index.js';
import { message } from '../helpers/corpus.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';

let server: DovecotServer;
const USER = { name: 'limited', password: 'limited-password' };

beforeAll(async () => {
  server = await startDovecot({ users: [USER], extraCapabilities: ['APPENDLIMIT=4096'] });
});
afterAll(async () => {
  await server?.stop();
});

describe('APPENDLIMIT', () => {
  it('fails the message over the limit without sending it and stores the others', async () => {
    const lines: string[] = [];
    const log = (entry: Record<string, unknown>): void => {
      lines.push(String(entry.msg ?? ''));
    };
    const logger = { debug: log, info: log, warn: log, error: log };
    const config = {
      server: server.host,
      port: server.imapPort,
      security: 'none',
      username: USER.name,
      password: USER.password,
      isTarget: true,
    };
    const raws = [
      message('Small one'),
      message('Over the limit', { body: 'z'.repeat(6000) }),
      message('Small two'),
    ].map((raw) => ({ raw: raw.toString('base64') }));
    const result = await write(config, { messages: raws }, { logger });
    expect(result.results.map((r) => r.status)).toEqual(['stored', 'failed', 'stored']);
    expect(result.results[1]).toMatchObject({
      error: { code: 'MESSAGE_TOO_LARGE', message: expect.stringContaining('(APPENDLIMIT 4096)') },
    });
    const literals = lines
      .filter((line) => / APPEND /.test(line))
      .map((line) => Number(/\((?:\* )?(\d+)B literal/.exec(line)?.[1] ?? 0));
    expect(literals.length).toBeGreaterThan(0);
    expect(Math.max(...literals)).toBeLessThan(4096);
  });
});

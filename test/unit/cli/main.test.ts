import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { worstExitCode } from '../../../src/cli/exit-codes.js';
import { captureIo } from '../../helpers/capture-io.js';

describe('main', () => {
  it('prints the command list and exits 2 when no command is given', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(2);
    expect(io.out()).toContain('test-connection');
  });

  it.each([['--help'], ['help'], ['test-connection', '--help'], ['test-connection', '-h']])(
    'prints help for %j and exits 0',
    async (...args) => {
      const io = captureIo();
      expect(await main(args, io)).toBe(0);
      expect(io.out()).toMatch(/Usage: imap-connector/);
      expect(io.out()).toContain('Exit codes');
    },
  );

  it('documents where secrets come from, since no flag takes one', async () => {
    const io = captureIo();
    await main(['test-connection', '--help'], io);
    expect(io.out()).toContain('IMAP_PASSWORD');
  });

  it('refuses a password on the command line as an unknown option', async () => {
    const io = captureIo();
    expect(await main(['test-connection', '--server', 'x', '--password', 'hunter2-cli'], io)).toBe(
      2,
    );
    expect(io.err()).toMatch(/unknown option --password: secrets come from the environment/);
    expect(io.err()).not.toContain('hunter2-cli');
  });

  it('refuses an unknown command', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err()).toContain('Unknown command "frobnicate"');
  });

  it('reports every config problem with exit code 2 before touching the network', async () => {
    const io = captureIo();
    const started = Date.now();
    expect(
      await main(
        [
          'test-connection',
          '--server',
          'imaps://mail.example.com',
          '--port',
          '70000',
          '--security',
          'ssl',
          '--json',
        ],
        io,
      ),
    ).toBe(2);
    const result = JSON.parse(io.out()) as {
      code: string;
      error: { details: { issues: { field: string }[] } };
    };
    expect(result.code).toBe('CONFIG_INVALID');
    expect(result.error.details.issues.map((i) => i.field).sort()).toEqual([
      '/password',
      '/port',
      '/port',
      '/security',
      '/security',
      '/username',
    ]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('prints a config error as lines a person can read', async () => {
    const io = captureIo();
    await main(
      ['test-connection', '--server', 'mail.example.com', '--username', 'alice', '--port', 'abc'],
      io,
    );
    expect(io.out()).toContain('FAILED  CONFIG_INVALID');
    expect(io.out()).toContain('  - /port: port must be a whole number, got "abc"');
    expect(io.out()).toContain('  - /password: password is required when authMethod is password');
  });
});

describe('worstExitCode', () => {
  it.each([
    [[], 0],
    [['OK', 'SKIPPED', undefined], 0],
    [['CONNECTION_LOST'], 4],
    [['CONNECTION_LOST', 'AUTH_FAILED'], 3],
    [['SOCKET_TIMEOUT', 'CONNECTION_LOST'], 4],
    [['AUTH_FAILED', 'INTERNAL'], 1],
    [['MESSAGE_UNAVAILABLE', 'APPEND_FAILED'], 9],
    [['OVER_QUOTA', 'AUTH_FAILED'], 3],
    [['NOT_A_CODE'], 1],
  ])('of %j is %i', (codes, exit) => {
    expect(worstExitCode(codes)).toBe(exit);
  });
});

import { describe, expect, it } from 'vitest';
import {
  AuthError,
  ConfigError,
  ConnectionError,
  ConnectorError,
  ERROR_CODES,
  isConnectorError,
  makeError,
  QueryError,
  RowError,
  StateError,
  TimeoutError,
  WriteError,
  SetupError,
  type ErrorCode,
} from '../../src/errors.js';

const CLASS_OF_KIND = {
  config: ConnectorError,
  auth: AuthError,
  connection: ConnectionError,
  timeout: TimeoutError,
  query: QueryError,
  row: RowError,
  state: StateError,
  write: WriteError,
  setup: SetupError,
  internal: ConnectorError,
};

describe('makeError', () => {
  it.each(Object.keys(ERROR_CODES) as ErrorCode[])(
    'builds %s as its class with a hint and JSON without the cause',
    (code) => {
      const error = makeError(code, 'Something happened.', {
        details: { a: 1 },
        cause: new Error('inner secret'),
      });
      expect(error).toBeInstanceOf(CLASS_OF_KIND[ERROR_CODES[code].kind]);
      expect(error.hint.length).toBeGreaterThan(10);
      expect(error.toJSON()).toEqual({
        code,
        message: 'Something happened.',
        hint: ERROR_CODES[code].hint,
        retryable: ERROR_CODES[code].retryable,
        details: { a: 1 },
      });
      expect(JSON.stringify(error)).not.toContain('inner secret');
    },
  );

  it('lets a call override retryable and hint', () => {
    expect(makeError('DNS_NOT_FOUND', 'x', { retryable: true, hint: 'h' }).toJSON()).toMatchObject({
      retryable: true,
      hint: 'h',
    });
  });
});

describe('ConfigError', () => {
  it('summarises every issue and points at the first field', () => {
    const error = new ConfigError([
      { field: '/port', message: 'port must be 1-65535, got 0' },
      { field: '/username', message: 'username is required' },
    ]);
    expect(error.toJSON()).toMatchObject({
      code: 'CONFIG_INVALID',
      field: '/port',
      details: { issues: error.issues },
    });
    expect(error.message).toBe(
      'Invalid configuration (2 problems): port must be 1-65535, got 0; username is required',
    );
  });
});

describe('isConnectorError', () => {
  it('recognises errors from another copy of the module by code and toJSON', () => {
    const foreign = { code: 'AUTH_FAILED', message: 'x', toJSON: () => ({}) };
    expect(isConnectorError(foreign)).toBe(true);
    expect(isConnectorError({ code: 'ECONNREFUSED', toJSON: () => ({}) })).toBe(false);
    expect(isConnectorError(new Error('x'))).toBe(false);
    expect(isConnectorError(makeError('INTERNAL', 'x'))).toBe(true);
  });
});

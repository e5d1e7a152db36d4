import { describe, expect, it } from 'vitest';
import {
  collectSecrets,
  REDACTED,
  redactDeep,
  redactText,
  SECRET_FIELDS,
} from '../../../src/config/redact.js';

describe('redact', () => {
  it('takes the secret fields from connector.json', () => {
    expect([...SECRET_FIELDS].sort()).toEqual([
      'oauth2AccessToken',
      'oauth2ClientSecret',
      'oauth2RefreshToken',
      'password',
    ]);
  });

  it('collects secret values longest first, so one containing another is replaced whole', () => {
    expect(
      collectSecrets({ password: 'abcd', oauth2ClientSecret: 'abcdefgh', username: 'alice' }, [
        'xyz-token',
      ]),
    ).toEqual(['xyz-token', 'abcdefgh', 'abcd']);
  });

  it('replaces plain, base64 and URL-encoded forms of a secret', () => {
    const secret = 'p@ss word!';
    const text = `a ${secret} b ${Buffer.from(secret).toString('base64')} c ${encodeURIComponent(secret)}`;
    expect(redactText(text, [secret])).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });

  it('masks secret-named keys and secret values deep inside objects, and stringifies bigint', () => {
    const out = redactDeep(
      {
        password: 'short',
        nested: [{ msg: 'token tok-12345 used' }],
        uidValidity: 5n,
        err: new Error('bad tok-12345'),
      },
      ['tok-12345'],
    );
    expect(out).toEqual({
      password: REDACTED,
      nested: [{ msg: `token ${REDACTED} used` }],
      uidValidity: '5',
      err: { name: 'Error', message: `bad ${REDACTED}` },
    });
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, secretEnvName } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/temp-dir.js';

const dir = tempDir();
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('names the environment variable of each secret field', () => {
    expect(
      ['password', 'oauth2AccessToken', 'oauth2RefreshToken', 'oauth2ClientSecret'].map((field) =>
        secretEnvName(field),
      ),
    ).toEqual([
      'IMAP_PASSWORD',
      'IMAP_OAUTH2_ACCESS_TOKEN',
      'IMAP_OAUTH2_REFRESH_TOKEN',
      'IMAP_OAUTH2_CLIENT_SECRET',
    ]);
  });

  it('merges file, then values, then secrets from the environment', () => {
    const path = file(
      'a.json',
      JSON.stringify({ server: 'a.example.com', username: 'file-user', password: 'from-file' }),
    );
    const config = loadConfig({
      file: path,
      values: { username: 'flag-user', port: undefined },
      env: { IMAP_PASSWORD: 'from-env', OTHER: 'x' },
    });
    expect(config).toEqual({
      server: 'a.example.com',
      username: 'flag-user',
      password: 'from-env',
    });
  });

  it('reads a secret from the file named by IMAP_<FIELD>_FILE, without its trailing newline', () => {
    const secret = file('secret.txt', 'token-from-file\n');
    expect(loadConfig({ env: { IMAP_OAUTH2_CLIENT_SECRET_FILE: secret } })).toEqual({
      oauth2ClientSecret: 'token-from-file',
    });
  });

  it('reports a config file that is not JSON with line and column, without quoting it', () => {
    const path = file('bad.json', '{\n  "server": "x",\n  "password": "s3cr3t-value" oops\n}');
    try {
      loadConfig({ file: path });
      throw new Error('expected failure');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/line 3, column \d+/);
      expect(message).not.toContain('s3cr3t-value');
    }
  });

  it('reports a missing config file or secret file by its path', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.json') })).toThrow(
      /cannot be read \(ENOENT\)/,
    );
    expect(() => loadConfig({ env: { IMAP_PASSWORD_FILE: join(dir, 'nope') } })).toThrow(
      /IMAP_PASSWORD_FILE .* cannot be read/,
    );
  });
});

import { isIP } from 'node:net';
import type { Issue } from '../errors.js';

export type Security = 'tls' | 'starttls' | 'none';

/** What the server field says about where to connect. */
export interface ServerAddress {
  host: string;
  port?: number;
  security?: Security;
}

// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const HOST_AND_PORT = /^([^:[\]]+):(\d{1,5})$/;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

// RFC 5092: imap:// is port 143 (plain, upgraded with STARTTLS here); imaps:// is implicit TLS.
const SCHEMES: Record<string, { security: Security; port: number }> = {
  'imap:': { security: 'starttls', port: 143 },
  'imaps:': { security: 'tls', port: 993 },
};

function checkHost(host: string, issues: Issue[]): void {
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    issues.push({
      field: '/server',
      message: `server must be a host name, an IP address or an imap:// / imaps:// URL, got ${JSON.stringify(host.slice(0, 60))}`,
    });
  }
}

function parseUrl(text: string, issues: Issue[]): ServerAddress | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    issues.push({ field: '/server', message: 'server is not a valid URL' });
    return undefined;
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    issues.push({
      field: '/server',
      message: `server URL must start with imap:// or imaps://, got ${url.protocol}//`,
    });
    return undefined;
  }
  if (url.username || url.password) {
    // Never echo the URL: it carries a credential.
    issues.push({
      field: '/server',
      message:
        'server URL must not contain a user name or password; use the username and password fields',
    });
  }
  if (url.pathname !== '' && url.pathname !== '/') {
    issues.push({
      field: '/server',
      message: 'server URL must not name a folder; use foldersInclude',
    });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  checkHost(host, issues);
  return { host, port: url.port ? Number(url.port) : scheme.port, security: scheme.security };
}

/** Splits the server field into host, and the port and security a URL or host:port implies. */
export function parseServer(raw: string, issues: Issue[]): ServerAddress | undefined {
  const text = raw.trim();
  if (text === '') return undefined; // the schema reports the empty field
  if (URL_SCHEME.test(text)) return parseUrl(text, issues);
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) {
    checkHost(bracketed[1]!, issues);
    return bracketed[2]
      ? { host: bracketed[1]!, port: Number(bracketed[2]) }
      : { host: bracketed[1]! };
  }
  const hostPort = HOST_AND_PORT.exec(text);
  if (hostPort) {
    checkHost(hostPort[1]!, issues);
    return { host: hostPort[1]!, port: Number(hostPort[2]) };
  }
  checkHost(text, issues);
  return { host: text };
}

/** The port a security mode uses when nothing else says (RFC 8314: 993 for TLS, 143 otherwise). */
export function defaultPort(security: Security): number {
  return security === 'tls' ? 993 : 143;
}

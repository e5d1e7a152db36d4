import type { Config } from '../config/validate-config.js';

/** POP3 ports where the connection names none: 995 (POP3S) with tls, else 110 (RFC 8314, 1939). */
export function usePop3Ports(source: Config, input: unknown): void {
  const raw = input as { port?: unknown; server?: unknown };
  const named = raw.port !== undefined || /:\d+$/.test(String(raw.server ?? '').trim());
  if (!named) source.port = source.security === 'tls' ? 995 : 110;
}

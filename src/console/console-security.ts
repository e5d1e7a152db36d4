/**
 * What guards every console request: the access token printed at start, never in a cookie
 * (issue 28: cookies are not port-isolated, so every other web service on 127.0.0.1 the user
 * visited received it). The page keeps it in session storage, taken from the start link's
 * ?token=, and sends it as Authorization: Bearer; what a browser fetches by itself (a download,
 * the message frame) gets a short-lived signed link. CSRF protection on every state-changing
 * request (a per-start token in a header, and the request's Origin and Sec-Fetch-Site must be
 * the console's own), Host names checked against DNS rebinding, and strict headers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

export const CSRF_HEADER = 'x-csrf-token';
/** How long a signed link works: long enough to start a download, not to be worth stealing. */
export const SIGNED_LINK_SECONDS = 60;

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The token of a request: its Authorization: Bearer header (the page, scripts, curl). */
function presentedToken(c: Context): string | undefined {
  return /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
}

/** The signature of a GET of this path and query (without sig) until `exp` (Unix seconds). */
function signature(token: string, pathname: string, params: URLSearchParams): string {
  const rest = [...params].filter(([key]) => key !== 'sig').sort(([a], [b]) => a.localeCompare(b));
  return createHmac('sha256', token)
    .update(`GET ${pathname}?${new URLSearchParams(rest).toString()}`)
    .digest('base64url');
}

/** A link to an API path that works without the header for SIGNED_LINK_SECONDS. */
export function signedLink(token: string, path: string, now = Date.now()): string {
  const url = new URL(path, 'http://console');
  url.searchParams.delete('sig');
  url.searchParams.set('exp', String(Math.floor(now / 1000) + SIGNED_LINK_SECONDS));
  url.searchParams.set('sig', signature(token, url.pathname, url.searchParams));
  return url.pathname + url.search;
}

function validSignedLink(c: Context, token: string): boolean {
  if (c.req.method !== 'GET') return false;
  const url = new URL(c.req.url);
  const exp = Number(url.searchParams.get('exp'));
  const now = Date.now() / 1000;
  if (!Number.isFinite(exp) || exp < now || exp > now + SIGNED_LINK_SECONDS + 5) return false;
  return same(
    url.searchParams.get('sig') ?? undefined,
    signature(token, url.pathname, url.searchParams),
  );
}

/**
 * The page itself (/ and /static/, which hold no data) loads without the token; every API
 * request needs it as a Bearer header, or a signed link for a GET.
 */
export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.path.startsWith('/api/')) return next();
    if (same(presentedToken(c), token) || validSignedLink(c, token)) return next();
    return c.json(
      {
        code: 'TOKEN_REQUIRED',
        message: 'This console needs its access token: open the link it printed when it started.',
      },
      401,
    );
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Only the console's own names as Host, unless it listens for remote use: a web page on a
 * name that a DNS rebinding points at 127.0.0.1 is refused before anything else.
 */
export function requireLocalHost(allowRemote: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (allowRemote) return next();
    const host = (c.req.header('host') ?? '').toLowerCase().replace(/:\d+$/, '');
    if (LOCAL_HOSTS.has(host)) return next();
    return c.json(
      {
        code: 'HOST_REFUSED',
        message: `Refused: the console answers as 127.0.0.1, localhost or [::1], not ${JSON.stringify(host.slice(0, 100))}.`,
      },
      421,
    );
  };
}

/** API answers hold mail and settings: never kept in the browser's disk cache. */
export function noStore(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.path.startsWith('/api/')) c.header('Cache-Control', 'no-store');
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request must carry the page's CSRF token in a header (a cross-site form
 * cannot set one) and, when the browser says where it comes from, come from the console itself.
 */
export function requireSameOrigin(csrfToken: string): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const own = new URL(c.req.url).origin;
    if (
      (origin !== undefined && origin !== own) ||
      (site !== undefined && site !== 'same-origin' && site !== 'none') ||
      !same(c.req.header(CSRF_HEADER), csrfToken)
    )
      return c.json(
        {
          code: 'CSRF_REFUSED',
          message: 'Refused: a request from another site, or without the page token.',
        },
        403,
      );
    return next();
  };
}

/** The console's headers: scripts and styles from itself only, no framing, no referrer. */
export function consoleHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      frameSrc: ["'self'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
    crossOriginOpenerPolicy: 'same-origin',
    strictTransportSecurity: false,
    // A route that sets its own (the sandboxed message frame) keeps it.
    overwrite: false,
  });
}

/**
 * The headers of one archived message's HTML, shown in a sandboxed frame: nothing remote, no
 * script. Its links may open a new tab, outside the sandbox and without an opener (the
 * sanitizer adds rel="noopener noreferrer"), as a mail client opens them.
 */
export const MESSAGE_FRAME_CSP =
  "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; sandbox allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'";

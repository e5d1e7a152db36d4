/**
 * What guards every console request: the access token printed at start (as notebook servers
 * do: a link with ?token= sets an HttpOnly, SameSite=Strict cookie, then the URL is cleaned),
 * CSRF protection on every state-changing request (a per-start token the page sends in a header,
 * and the request's Origin and Sec-Fetch-Site must be the console's own), and strict headers
 * (a CSP without inline script, frame-ancestors none).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { secureHeaders } from 'hono/secure-headers';

export const TOKEN_COOKIE = 'imap_connector_console';
export const CSRF_HEADER = 'x-csrf-token';

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The token of a request: its cookie, or an Authorization: Bearer header (scripts, curl). */
function presentedToken(c: Context): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  return bearer ?? getCookie(c, TOKEN_COOKIE);
}

/** Every request needs the token; the start link trades ?token= for the cookie. */
export function requireToken(token: string): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const offered = url.searchParams.get('token');
    if (offered !== null && same(offered, token) && c.req.method === 'GET') {
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/' });
      url.searchParams.delete('token');
      return c.redirect(url.pathname + (url.search || ''), 303);
    }
    if (!same(presentedToken(c), token))
      return c.text(
        'This console needs its access token: open the link it printed when it started.',
        401,
      );
    return next();
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

/** The headers of one archived message's HTML, shown in a sandboxed frame: nothing remote, no script. */
export const MESSAGE_FRAME_CSP =
  "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; sandbox; frame-ancestors 'self'";

/**
 * `imap-connector console`: the local web console. One Hono app on Node's HTTP server, plain
 * HTML, CSS and JavaScript modules from ./static (no build step), the API under /api. Every
 * request needs the access token; every state-changing one the page's CSRF token from its own
 * origin; every response carries the console's strict headers.
 */
import { randomBytes } from 'node:crypto';
import { hostname as machineName } from 'node:os';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { CONNECTOR_VERSION } from '../manifest.js';
import { archiveRoutes, ConsoleArchives } from './archive-routes.js';
import { batchRoutes } from './batch-routes.js';
import { ConsoleBatches } from './console-batches.js';
import { ConsoleImports } from './console-imports.js';
import { importRoutes } from './import-routes.js';
import { ConnectionProfiles } from './connection-profiles.js';
import { connectionRoutes } from './connection-routes.js';
import { errorResponse } from './console-errors.js';
import { ConfigError } from '../errors.js';
import {
  consoleHeaders,
  noStore,
  requireLocalHost,
  requireSameOrigin,
  requireToken,
  signedLink,
} from './console-security.js';

export interface ConsoleOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  listen?: string;
  /** Saved connections and batches live here. */
  dataDir: string;
  /** Archive files to show besides the batches' own. */
  archives?: string[];
  /** Where batch secrets come from (IMAP_MASTER_PASSWORD, ...). */
  env?: Record<string, string | undefined>;
  /** Fixed token (tests); default: 32 random bytes. */
  token?: string;
  /** Accept any Host name (listening beyond loopback); else only 127.0.0.1, localhost, [::1]. */
  allowRemote?: boolean;
}

export interface RunningConsole {
  url: string;
  /** The link with the token, as printed at start. */
  link: string;
  token: string;
  close(): Promise<void>;
}

// An upload (a mailbox list) or a JSON body beyond this is refused with 413 before it is read.
const MAX_BODY_BYTES = 10 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The static files: beside this module in the source tree, or in src/ from dist/. */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'static'), join(here, '../../../src/console/static')])
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  throw new Error('the console static files are missing');
}

function staticFiles(): Map<string, { type: string; body: Buffer }> {
  const dir = staticDir();
  // Read once, served from memory: no path from a request ever reaches the file system.
  return new Map(
    readdirSync(dir)
      .filter((file) => TYPES[extname(file)])
      .map((file) => [file, { type: TYPES[extname(file)]!, body: readFileSync(join(dir, file)) }]),
  );
}

function archivePaths(
  options: ConsoleOptions,
  batches: ConsoleBatches,
  imports: ConsoleImports,
): () => Map<string, string> {
  return () => {
    const paths = new Map<string, string>();
    for (const path of options.archives ?? []) paths.set(basename(path), path);
    for (const name of batches.names()) {
      const path = join(options.dataDir, 'batches', name, 'mail.archive');
      if (existsSync(path)) paths.set(`${name} (batch)`, path);
    }
    for (const name of imports.names()) {
      const path = imports.archivePath(name);
      if (path) paths.set(`${name} (import)`, path);
    }
    return paths;
  };
}

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const token = options.token ?? randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const stop = new AbortController();
  const profiles = new ConnectionProfiles(options.dataDir);
  const batches = new ConsoleBatches(options.dataDir, options.env ?? process.env);
  const imports = new ConsoleImports(options.dataDir, profiles);
  const archives = new ConsoleArchives(archivePaths(options, batches, imports));
  const files = staticFiles();

  const app = new Hono();
  app.use(requireLocalHost(options.allowRemote ?? false));
  app.use(consoleHeaders());
  app.use(noStore());
  app.use(requireToken(token));
  app.use(requireSameOrigin(csrfToken));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          {
            ok: false,
            error: {
              code: 'CONFIG_INVALID',
              message: `The upload is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB.`,
              retryable: false,
            },
          },
          413,
        ),
    }),
  );
  app.get('/', (c) =>
    c.body(new Uint8Array(files.get('index.html')!.body), 200, { 'Content-Type': TYPES['.html']! }),
  );
  app.get('/static/:file', (c) => {
    const file = files.get(c.req.param('file'));
    return file
      ? c.body(new Uint8Array(file.body), 200, { 'Content-Type': file.type })
      : c.notFound();
  });
  // One answer for every failed request: the error's code, message and hint, never a secret.
  app.onError((error, c) => errorResponse(c, error));
  app.get('/api/session', (c) => c.json({ csrfToken, version: CONNECTOR_VERSION }));
  // What the browser fetches by itself (a download, the message frame) cannot send the header.
  app.post('/api/links', async (c) => {
    const { path } = (await c.req.json()) as { path?: unknown };
    if (typeof path !== 'string' || !path.startsWith('/api/') || path.startsWith('/api/links'))
      throw new ConfigError([{ field: '/path', message: 'path must be an /api/ path' }]);
    return c.json({ url: signedLink(token, path) });
  });
  app.route('/api/connections', connectionRoutes(profiles, stop.signal));
  app.route('/api/batches', batchRoutes(batches, stop.signal));
  app.route('/api/imports', importRoutes(imports));
  app.route('/api/archives', archiveRoutes(archives));

  const hostname = options.listen ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port ?? 0, hostname }, () =>
      resolve(started),
    );
    started.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${linkHost(hostname)}:${port}`;
  return {
    url,
    link: `${url}/?token=${token}`,
    token,
    close: async () => {
      stop.abort();
      await Promise.all([batches.stopAll(), imports.stopAll()]);
      archives.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Server-sent event streams stay open until their next tick; do not wait for them.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

/** The host of the printed link: a wildcard address is no place to browse to; the machine's name is. */
function linkHost(listen: string): string {
  if (listen === '0.0.0.0' || listen === '::') return machineName();
  return listen.includes(':') ? `[${listen}]` : listen;
}

import { readFileSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

// The app's own origin: the built renderer and the media routes under one scheme, so the same
// relative URLs work in Electron (app://classify-desk/) and in the browser host (http://127.0.0.1).

/** The renderer's Content-Security-Policy: nothing remote, no inline or eval'd script. */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  // No 'unsafe-inline': the renderer sets dynamic styles through the CSSOM, which CSP allows.
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface AppProtocolOptions {
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** Serves /media/* (main/services/media.ts). */
  media: (request: Request) => Promise<Response>;
  /** Rewrites index.html before it is served (the browser host injects its api shim). */
  transformIndex?: (html: string) => string;
}

/** A fetch-style handler for the app origin: media routes, else static renderer files. */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const root = resolve(options.rendererDir);
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith('/media/')) return options.media(request);
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return new Response('Bad path', { status: 400 });
    }
    if (pathname === '/' || pathname === '') pathname = '/index.html';
    const file = resolve(root, `.${pathname}`);
    if (!file.startsWith(root + sep) || pathname.includes('\0')) return new Response('Not found', { status: 404 });
    let body: Buffer;
    try {
      // Read in one step on main's thread: the renderer's files are small and local, and the page
      // loads while main reads the start folder, where each thread-pool round trip of an async
      // read (open, stat, read, close) waited for a turn of the busy event loop (0.5 s for
      // index.html at 250,000 images).
      body = readFileSync(file);
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff' };
    if (type.startsWith('text/html')) {
      headers['content-security-policy'] = contentSecurityPolicy;
      headers['cache-control'] = 'no-cache';
      const html = body.toString('utf8');
      return new Response(options.transformIndex ? options.transformIndex(html) : html, { headers });
    }
    return new Response(new Uint8Array(body), { headers });
  };
}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Envelope, EventName, Events } from '../../app/contract';
import type { SettingsPatch } from '../../app/settings';
import { createAppServices } from '../../main/compose';
import { createHandlers, dispatch, type Handlers } from '../../main/handlers';
import { createAppProtocolHandler } from '../../main/services/app-protocol';
import { hostApiScript, injectShim } from './api-shim';

// The browser host: the app's real services and handler table behind a small bridge on 127.0.0.1,
// serving the built renderer with a `window.api` of the preload's shape. The page's requests and
// main's events share one WebSocket, as Electron's IPC is one channel beside the app:// requests:
// over HTTP/1.1 they took the six connections Chromium keeps per origin, and thumbnails queued
// behind them. Tests and benchmarks in Node call `POST /api/invoke/<channel>` and read server-sent
// events on `/api/events`. A test tool only: loopback, never packaged.

export interface HostOptions {
  dataDir: string;
  /** What `initialFolder` answers (the folder the page opens at start). */
  folder?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** What the "folder dialog" answers; null = the user cancelled. */
  pickFolder?: string | null;
  /** What the "file dialog" (labels CSV) answers; null = the user cancelled. */
  pickFile?: string | null;
  /** Where the scripted export dialog puts exports, under their suggested names (default
   *  <tmp>/classify-desk-exports: never the data folder, which exports are refused to write into). */
  exportDir?: string;
  settings?: SettingsPatch;
  /** The built renderer (default dist/renderer of this checkout). */
  rendererDir?: string;
  /** The session token (default: random). `npm run dev` keeps one across restarts so a reload works. */
  token?: string;
}

export interface Host {
  /** The URL to open: `http://127.0.0.1:PORT/?token=TOKEN` (the page then keeps the token as a cookie). */
  url: string;
  /** `http://127.0.0.1:PORT`, for building request URLs. */
  origin: string;
  /** The session token: every /api/* and /media/* request carries it as cookie or `Authorization: Bearer`. */
  token: string;
  /** Headers that authorise a request from a non-browser client (tests, benchmarks). */
  authHeaders: Record<string, string>;
  /** Test hook: what the scripted dialogs answer from now on (main's side, never the page's). */
  setDialogAnswers(answers: Pick<HostOptions, 'pickFolder' | 'pickFile'>): void;
  close(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const defaultRendererDir = path.resolve(here, '..', '..', 'dist', 'renderer');
/** Large enough for a startJob with a million ids. */
const maxBodyBytes = 64 * 1024 * 1024;

export async function startHost(opts: HostOptions): Promise<Host> {
  const rendererDir = opts.rendererDir ?? defaultRendererDir;
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`The renderer is not built (${path.join(rendererDir, 'index.html')} is missing): run \`npx vite build\` first.`);
  }
  const clients = new Set<http.ServerResponse>();
  const sockets = new Set<WebSocket>();
  const emit = <E extends EventName>(event: E, payload: Events[E]) => {
    const json = JSON.stringify(payload);
    if (clients.size > 0) {
      const frame = `event: ${event}\ndata: ${json}\n\n`;
      for (const client of clients) client.write(frame);
    }
    if (sockets.size > 0) {
      const message = `e${event}\n${json}`;
      for (const socket of sockets) socket.send(message);
    }
  };
  const exportDir = opts.exportDir ?? path.join(os.tmpdir(), 'classify-desk-exports');
  const scripted = { pickFolder: opts.pickFolder ?? null, pickFile: opts.pickFile ?? null };
  const services = await createAppServices({
    dataDir: opts.dataDir,
    emit,
    shell: 'host',
    env: opts.env ?? process.env,
    initialFolder: opts.folder ? path.resolve(opts.folder) : null,
    dialogs: {
      pickFolder: async () => scripted.pickFolder,
      pickFile: async () => scripted.pickFile,
      pickExportPath: async (_target, suggestedName) => {
        await fs.mkdir(exportDir, { recursive: true });
        return path.join(exportDir, suggestedName);
      },
    },
  });
  if (opts.settings) services.ports.settings.update(opts.settings);
  const handlers = createHandlers(services.ports);
  const shim = hostApiScript();
  const app = createAppProtocolHandler({ rendererDir, media: services.media, transformIndex: injectShim });

  let origin = '';
  // Any local user can reach a loopback port, and the Origin check stops only browsers: every
  // request for data or files must prove it came from whoever the host printed its URL to.
  const token = opts.token ?? randomBytes(32).toString('base64url');
  let cookieName = '';
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Host error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  /** Same-origin only, like the app's sender check: no foreign Origin (handle() has checked Host). */
  function trusted(req: http.IncomingMessage, requireOrigin: boolean): boolean {
    const from = req.headers.origin;
    if (from === undefined) return !requireOrigin;
    return from === origin;
  }

  /** True when the request carries the session token (cookie or bearer header). */
  function authorised(req: http.IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((part) => part.trim().split('='))
      .find(([name]) => name === cookieName)?.[1];
    return [bearer, cookie].some((given) => given !== undefined && sameSecret(given, token));
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    // A page reached under another host name (DNS rebinding) gets nothing at all.
    if (req.headers.host !== new URL(origin).host) return sendJson(res, 403, { ok: false, error: { code: 'invalid_input', message: 'Request refused.' } });
    const given = url.searchParams.get('token');
    if (given !== null && req.method === 'GET') {
      if (!sameSecret(given, token)) return sendJson(res, 403, { ok: false, error: { code: 'invalid_input', message: 'Wrong host token: open the URL the host printed.' } });
      // The token moves into a cookie the page's scripts cannot read, and out of the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, {
        'Set-Cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: `${url.pathname}${url.search}`,
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    if ((url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/')) && !authorised(req)) {
      return sendJson(res, 403, { ok: false, error: { code: 'invalid_input', message: 'Request refused: open the URL the host printed (it carries the session token).' } });
    }
    if (url.pathname.startsWith('/api/')) {
      // Browsers always send Origin on POST; the event stream's same-origin GET from our own page carries none.
      if (!trusted(req, req.method !== 'GET')) return sendJson(res, 403, { ok: false, error: { code: 'invalid_input', message: 'Request refused.' } });
      if (url.pathname === '/api/events' && req.method === 'GET') return openEvents(req, res);
      // Test hook for the tester's "type a path" prompt (the host has no folder dialog): the host's
      // own route, as a dialog's answer would be; the app's handlers never take a page's path as chosen.
      if (url.pathname === '/api/test-hooks/choose-folder' && req.method === 'POST') {
        let typed: unknown;
        try {
          typed = (JSON.parse((await readBody(req)) || '{}') as { path?: unknown }).path;
        } catch {
          typed = undefined;
        }
        if (typeof typed !== 'string' || typed === '') return sendJson(res, 400, { ok: false, error: { code: 'invalid_input', message: 'Give the folder as {"path": "..."}.' } });
        services.ports.folders.choose(path.resolve(typed));
        return sendJson(res, 200, { ok: true, value: null });
      }
      const match = /^\/api\/invoke\/([A-Za-z]+)$/.exec(url.pathname);
      if (match && req.method === 'POST') {
        const { envelope, malformed } = await dispatchBody(handlers, match[1], await readBody(req));
        return sendJson(res, malformed ? 400 : 200, envelope);
      }
      return sendJson(res, 404, { ok: false, error: { code: 'not_found', message: 'No such API route.' } });
    }
    if (url.pathname === '/host-api.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(shim);
      return;
    }
    const response = await app(new Request(url, { method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }));
    await sendResponse(res, response);
  }

  // The page's channel: `<id>\n<channel>\n<request JSON>` in, `r<id>\n<envelope JSON>` and
  // `e<event>\n<payload JSON>` out. The upgrade is checked as every /api/ request is: our Host,
  // our Origin (a browser always sends one on a WebSocket) and the session cookie.
  const socketServer = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    if (req.headers.host !== new URL(origin).host || url.pathname !== '/api/socket' || !trusted(req, true) || !authorised(req)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socketServer.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('message', (data, isBinary) => void answer(ws, data, isBinary));
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => ws.terminate());
    });
  });

  async function answer(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    const text = isBinary ? '' : data.toString();
    const first = text.indexOf('\n');
    const second = first < 0 ? -1 : text.indexOf('\n', first + 1);
    const id = first < 0 ? '' : text.slice(0, first);
    if (!/^\d+$/.test(id)) return ws.close(1003, 'Unreadable request.');
    const envelope =
      second < 0
        ? { ok: false, error: { code: 'invalid_input', message: 'The request names no channel.' } }
        : (await dispatchBody(handlers, text.slice(first + 1, second), text.slice(second + 1))).envelope;
    if (ws.readyState === ws.OPEN) ws.send(`r${id}\n${JSON.stringify(envelope)}`);
  }

  function openEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.socket?.setNoDelay(true);
    res.write(': connected\n\n');
    clients.add(res);
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      clients.delete(res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  // Cookies are per host name, not per port: each host keeps its own.
  cookieName = `classify_desk_host_${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    authHeaders: { Authorization: `Bearer ${token}` },
    setDialogAnswers(answers) {
      if (answers.pickFolder !== undefined) scripted.pickFolder = answers.pickFolder;
      if (answers.pickFile !== undefined) scripted.pickFile = answers.pickFile;
    },
    async close() {
      for (const client of clients) client.end();
      clients.clear();
      for (const socket of sockets) socket.terminate();
      sockets.clear();
      socketServer.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await services.close();
    },
  };
}

/** A request's body (JSON text; empty is {}) dispatched to its channel, as either transport takes
 *  it; a body that is not JSON answers invalid_input (`malformed`). */
async function dispatchBody(handlers: Handlers, channel: string, body: string): Promise<{ envelope: Envelope<unknown>; malformed: boolean }> {
  let payload: unknown;
  try {
    payload = JSON.parse(body || '{}');
  } catch {
    return { envelope: { ok: false, error: { code: 'invalid_input', message: 'The request body is not JSON.' } }, malformed: true };
  }
  return { envelope: await dispatch(handlers, channel, payload), malformed: false };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function sendResponse(res: http.ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (!response.body) {
    res.end();
    return;
  }
  // pipeline ends the file stream too when the browser goes away mid-image.
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), res);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        reject(new Error('The request body is too large.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

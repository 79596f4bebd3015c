import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { AppFailure, type AppError } from '../../app/errors';
import { parseMediaPath } from '../../app/media-urls';
import { createForeground, type Foreground } from './foreground';
import type { Library } from './library';
import type { Thumbnails } from './thumbnails';

// The media scheme's logic, shared by Electron's protocol.handle and the browser host:
// `media/thumb/<folderId>/<id>?s=<px>` and `media/full/<folderId>/<id>`. Every path goes through
// library.resolve, so only files inside folders the user opened are ever read.

const thumbSizeMin = 32;
const thumbSizeMax = 1024;
const defaultThumbSize = 256;

export type MediaHandler = (request: Request) => Promise<Response>;

/** The requested thumbnail size, clamped to what the service makes. */
function thumbSize(param: string | null): number {
  const n = Number.parseInt(param ?? '', 10);
  if (!Number.isFinite(n)) return defaultThumbSize;
  return Math.min(thumbSizeMax, Math.max(thumbSizeMin, n));
}

const json = (status: number, error: AppError, extra: Record<string, string> = {}) =>
  new Response(JSON.stringify(error), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
  });

const imageHeaders = (contentType: string, length: number) => ({
  'Content-Type': contentType,
  'Content-Length': String(length),
  // The URL names a file, not a version of it: keep browser caching short.
  'Cache-Control': 'private, max-age=300',
  'X-Content-Type-Options': 'nosniff',
});

export function createMediaHandler(deps: {
  library: Pick<Library, 'resolve'>;
  thumbnails: Pick<Thumbnails, 'thumbnail' | 'full'>;
  /** Counts each request as work the user waits for, ahead of the library's background passes. */
  foreground?: Pick<Foreground, 'run'>;
}): MediaHandler {
  const serve = serveMedia(deps);
  const foreground = deps.foreground ?? createForeground();
  return (request) => foreground.run(() => serve(request));
}

function serveMedia(deps: { library: Pick<Library, 'resolve'>; thumbnails: Pick<Thumbnails, 'thumbnail' | 'full'> }): MediaHandler {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return json(405, { code: 'invalid_input', message: 'Only GET is supported here.' }, { Allow: 'GET, HEAD' });
    }
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return json(400, { code: 'invalid_input', message: 'Bad media URL.' });
    }
    const parsed = parseMediaPath(url.pathname);
    if (!parsed) return json(404, { code: 'not_found', message: 'No such media.' });
    const { kind, folderId, id } = parsed;

    let file: string;
    try {
      file = await deps.library.resolve(folderId, id);
    } catch (error) {
      const failure = error instanceof AppFailure ? error : new AppFailure('not_found', 'No such image.');
      return json(failure.code === 'invalid_input' ? 403 : 404, failure.toJSON());
    }

    try {
      if (kind === 'thumb') {
        const thumb = await deps.thumbnails.thumbnail(file, thumbSize(url.searchParams.get('s')), { folderId, id });
        return new Response(request.method === 'HEAD' ? null : new Uint8Array(thumb.bytes), {
          headers: imageHeaders(thumb.contentType, thumb.bytes.length),
        });
      }
      const full = await deps.thumbnails.full(file);
      if ('bytes' in full) {
        return new Response(request.method === 'HEAD' ? null : new Uint8Array(full.bytes), {
          headers: imageHeaders(full.contentType, full.bytes.length),
        });
      }
      return await streamFile(full, request.method === 'HEAD');
    } catch (error) {
      const failure = error instanceof AppFailure ? error : new AppFailure('bad_image', 'The image could not be shown.');
      // A file swapped for a link after the gate's check is refused like a link found by the gate.
      return json(failure.code === 'invalid_input' ? 403 : 422, failure.toJSON());
    }
  };
}

/** Streams from the handle full() opened and proved (never the path again), then closes it. */
async function streamFile(full: { handle: fs.FileHandle; size: number; contentType: string }, headOnly: boolean): Promise<Response> {
  const headers = imageHeaders(full.contentType, full.size);
  if (headOnly) {
    await full.handle.close();
    return new Response(null, { headers });
  }
  // Bounded to the announced length, so a file that grows meanwhile cannot overrun Content-Length.
  const body = Readable.toWeb(full.handle.createReadStream({ start: 0, end: full.size - 1 })) as ReadableStream<Uint8Array>;
  return new Response(body, { headers });
}

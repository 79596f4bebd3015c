import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeImage, imageFromUrl, inferenceResponse, models, readConfidence, type DecodedImage } from './classify';
import { createDatasetRoutes, type DatasetPeer } from './dataset';
import { FaultBook, type FaultPlan } from './faults';
import { readBody } from './read-body';
import { platformRoute } from './platform';
import { createOrtState, ortRoute, type OrtState } from './ort';

// A Roboflow-compatible server on loopback (roboflow-protocol.md): the inference route
// `POST /{project}/{version}` with both response shapes, `confidence` semantics, both auth forms,
// the request limit and the error table, fault injection, and the platform API routes. It decodes
// every image for real (sharp, or the BMP reader) and classifies it by its dominant colour.

export type { FaultPlan } from './faults';

export interface PeerOptions {
  port?: number;
  /** Fixed delay before every inference answer (benchmarks). */
  latencyMs?: number;
  /** Valid keys, default ['rf_test_key_0123456789']. */
  keys?: string[];
  workspace?: string;
  /** Request limit on the body (base64 text), default 20 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /** Accept `Authorization: Bearer`, default true (servers before 1.5 read only `api_key`). */
  headerAuth?: boolean;
  /** Largest dataset upload body, default 20 MiB (Roboflow's limit). */
  maxUploadBytes?: number;
}

export interface PeerStats {
  requests: number;
  /** Successful (200) inferences. */
  inferences: number;
  /** Responses by status; 0 counts connections dropped mid-response. */
  byStatus: Record<number, number>;
  keysSeen: Set<string>;
  /** Body length of every inference request, in arrival order. */
  bodyBytes: number[];
  /** sha1 of the decoded pixels (or `url:<sha1>` of a hosted-image URL) -> successful answers. */
  perImage: Map<string, number>;
  /** TCP connections accepted: proves keep-alive when it stays low. */
  connections: number;
  /** Answers not given because the client had gone (timed out, cancelled): not counted above. */
  abandoned: number;
}

export interface PeerHold {
  /** Inference requests waiting at the hold. */
  readonly waiting: number;
  release(): void;
}

export interface Peer {
  url: string;
  stats: PeerStats;
  fault(plan: FaultPlan): void;
  /** The model-download route's faults and counters (test/peer/ort.ts). */
  ort: OrtState;
  /** The dataset routes (upload, annotate): what the server holds, their stats and faults. */
  dataset: DatasetPeer;
  /** Holds every inference answer from now on until `release()`: a run stays in flight for as long as a test needs. */
  hold(): PeerHold;
  /** Clears the stats (in place) and every pending fault. */
  reset(): void;
  close(): Promise<void>;
}

export const defaultPeerKey = 'rf_test_key_0123456789';

const formType = 'application/x-www-form-urlencoded';
const dataUrlPrefix = /^data:image\/[a-z0-9.+-]+;base64,/i;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function emptyStats(): PeerStats {
  return { requests: 0, inferences: 0, byStatus: {}, keysSeen: new Set(), bodyBytes: [], perImage: new Map(), connections: 0, abandoned: 0 };
}

/** The image bytes of a base64 body, or null when the body is not base64 text. */
function bodyImage(body: Buffer): Buffer | null {
  let text = body.toString('latin1').trim();
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return null;
    }
  }
  text = text.replace(dataUrlPrefix, '').replace(/\s+/g, '');
  if (text.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/** Starts a peer on 127.0.0.1 (port 0 = ephemeral). */
export async function startPeer(opts: PeerOptions = {}): Promise<Peer> {
  const keys = opts.keys ?? [defaultPeerKey];
  const workspace = opts.workspace ?? 'test-workspace';
  const maxBodyBytes = opts.maxBodyBytes ?? 20 * 1024 * 1024;
  const headerAuth = opts.headerAuth ?? true;
  const latencyMs = opts.latencyMs ?? 0;
  const stats = emptyStats();
  const faults = new FaultBook();
  const ort = createOrtState();
  let base = '';
  let held: { waiting: number; open: Promise<void>; release: () => void } | null = null;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json';
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const applyFault = async (res: ServerResponse, plan: FaultPlan, key: string | null, rawUrl: string) => {
    switch (plan.kind) {
      case '429':
        return send(res, 429, { message: 'Rate limit exceeded. Slow down.' }, { 'retry-after': String(plan.retryAfter ?? 1) });
      case '503':
        return send(res, 503, { message: 'Model is loading, try again shortly.' }, { 'retry-after': String(plan.retryAfter ?? 1) });
      case 'garbage':
        if (plan.body === 'json') return send(res, 200, { status: 'ok', result: null, predictions: 'none' });
        return send(res, 200, '<html><body>upstream connect error or disconnect/reset before headers</body></html>');
      case 'drop': {
        stats.byStatus[0] = (stats.byStatus[0] ?? 0) + 1;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
        res.write('{"inference_id": "dropped-');
        await sleep(5);
        res.socket?.destroy();
        return;
      }
      case 'status': {
        const status = plan.status ?? 500;
        const headers: Record<string, string> = plan.retryAfter !== undefined ? { 'retry-after': String(plan.retryAfter) } : {};
        const echo = plan.echoKey ? ` (key ${key ?? 'none'} for ${rawUrl})` : '';
        if (plan.body === 'text') {
          return send(res, status, `<html><head><title>${status} Gateway</title></head><body><h1>${status}</h1>${echo}</body></html>`, headers);
        }
        return send(res, status, { message: `Injected failure ${status}${echo}`, error_type: 'InjectedFailure' }, headers);
      }
      case 'slow':
        return; // handled by the caller: delay, then answer normally
    }
  };

  const dataset = createDatasetRoutes({ keys, maxUploadBytes: opts.maxUploadBytes ?? 20 * 1024 * 1024, send });

  const inference = async (req: IncomingMessage, res: ServerResponse, url: URL, project: string, version: string) => {
    const startedAt = performance.now();
    const { bytes, length } = await readBody(req, maxBodyBytes);
    stats.bodyBytes.push(length);
    const queryKey = url.searchParams.get('api_key');
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
    for (const k of [queryKey, bearer]) if (k) stats.keysSeen.add(k);
    const key = queryKey ?? (headerAuth ? bearer : null);
    if (held) {
      held.waiting += 1;
      await held.open;
    }

    const plan = faults.next();
    if (plan && plan.kind !== 'slow') return applyFault(res, plan, key, req.url ?? '');
    if (plan?.kind === 'slow') await sleep(plan.delayMs ?? 2000);
    if (latencyMs > 0) await sleep(latencyMs);

    if (length > maxBodyBytes) return send(res, 413, { message: `Request body of ${length} bytes exceeds the limit of ${maxBodyBytes} bytes.` });
    if (!key) return send(res, 401, { message: 'Missing api_key: pass it in the query or as Authorization: Bearer.' });
    if (!keys.includes(key)) return send(res, 401, { message: 'Unauthorized api_key' });
    const spec = models[project]?.[version];
    if (!spec) return send(res, 404, { message: `Model ${project}/${version} was not found.`, error_type: 'ModelNotFound' });
    const confidence = readConfidence(url.searchParams.get('confidence'));
    if (confidence === null) return send(res, 400, { detail: [{ loc: ['query', 'confidence'], msg: 'value is not a valid float', type: 'type_error.float' }] });

    let image: DecodedImage;
    const hosted = url.searchParams.get('image');
    if (hosted !== null) {
      // The peer cannot download anything: an acceptable URL is answered from a hash of it.
      let target: URL;
      try {
        target = new URL(hosted);
      } catch {
        return send(res, 400, { message: 'The image URL is not a valid URL.' });
      }
      if (target.protocol !== 'https:') return send(res, 400, { message: 'Only https image URLs are accepted.' });
      if (!target.hostname.includes('.') || /^[\d.]+$/.test(target.hostname)) {
        return send(res, 400, { message: 'The image URL must name a host with a real domain.' });
      }
      image = imageFromUrl(target);
    } else {
      if (length === 0) return send(res, 400, { message: 'No image: send base64 text as the body or an image URL as ?image=.' });
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== formType) return send(res, 400, { message: `Content-Type must be ${formType}.` });
      const decodedBytes = bodyImage(bytes);
      if (!decodedBytes) return send(res, 400, { message: 'The body is not base64 text of an image.' });
      try {
        image = await decodeImage(decodedBytes);
      } catch (err) {
        return send(res, 400, { message: `Could not decode the image: ${(err as Error).message}`, error_type: 'InvalidImage' });
      }
    }
    // Only answers that reach the client count, so perImage > 1 means the client re-sent an image
    // after it had received a success.
    if (req.socket.destroyed) {
      stats.abandoned += 1;
      return;
    }
    stats.inferences += 1;
    stats.perImage.set(image.key, (stats.perImage.get(image.key) ?? 0) + 1);
    send(res, 200, inferenceResponse(image, spec, confidence, startedAt));
  };

  const server = createServer((req, res) => {
    stats.requests += 1;
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'http://peer.invalid');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const handle = async () => {
      if (ortRoute(req, res, url, segments, { keys, base, state: ort })) return;
      if (segments[0] === 'dataset' && segments.length >= 3) return dataset.handle(req, res, url, segments);
      if (req.method === 'POST' && segments.length === 2) return inference(req, res, url, segments[0], segments[1]);
      if ((req.method === 'POST' && segments.length === 0) || (req.method === 'GET' && segments.length <= 2)) {
        await readBody(req, 0);
        const answer = platformRoute(req.method, segments, url.searchParams.get('api_key'), keys, workspace);
        return send(res, answer.status, answer.body);
      }
      await readBody(req, 0);
      send(res, 404, { message: 'Not found.' });
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { message: `Peer failure: ${(err as Error).message}` });
      else res.destroy();
    });
  });
  server.on('connection', (socket: Socket) => {
    stats.connections += 1;
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    ort,
    fault: (plan) => faults.add(plan),
    dataset,
    hold: () => {
      let release = () => {};
      const open = new Promise<void>((resolve) => (release = resolve));
      const gate = { waiting: 0, open, release };
      held = gate;
      return {
        get waiting() {
          return gate.waiting;
        },
        release: () => {
          if (held === gate) held = null;
          gate.release();
        },
      };
    },
    reset: () => {
      faults.clear();
      ort.faults.length = 0;
      dataset.reset();
      Object.assign(stats, { ...emptyStats(), keysSeen: stats.keysSeen, perImage: stats.perImage, bodyBytes: stats.bodyBytes, byStatus: stats.byStatus });
      stats.keysSeen.clear();
      stats.perImage.clear();
      stats.bodyBytes.length = 0;
      for (const k of Object.keys(stats.byStatus)) delete stats.byStatus[Number(k)];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

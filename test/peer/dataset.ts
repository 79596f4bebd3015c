import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultBook, type FaultPlan } from './faults';
import { projects } from './platform';
import { readBody } from './read-body';

// Roboflow's dataset routes as its Python SDK and Inference's active learning use them:
//   POST /dataset/{project}/upload?api_key&batch&tag… (multipart/form-data: name, split, file)
//     -> {success, id}, or {duplicate: true, id} when the project already holds these bytes (SHA-256)
//   POST /dataset/{project}/annotate/{imageId}?api_key&name=<id>.txt[&overwrite=true] (text/plain:
//     the class name, comma-joined for multi-label) -> {success: true}; 409 when already labelled
//     and no overwrite.
// Errors are `{"error": {"message", "type", "hint"}}`. The store keeps what a test must check: the
// bytes, labels, split, batch and tags of every image, and whether `prediction=true` ever came.

export interface DatasetImage {
  id: string;
  project: string;
  name: string;
  split: string;
  batch: string | null;
  tags: string[];
  bytes: Buffer;
  sha256: string;
  mime: string;
  /** Class names of the latest annotation, null while unlabelled. */
  labels: string[] | null;
  /** The `name` query of the latest annotation (the SDK's `<id>.txt`). */
  labelFile: string | null;
  /** True when an annotation came with `prediction=true` (unreviewed model output). */
  predictionFlag: boolean;
}

/** Faults for the dataset routes: a FaultPlan, limited to one route, and optionally applied
 *  after the request took effect (the image is stored, the answer is lost). */
export type DatasetFault = FaultPlan & { route?: 'upload' | 'annotate'; afterEffect?: boolean };

export interface DatasetStats {
  uploads: number;
  duplicates: number;
  annotations: number;
  conflicts: number;
  /** Requests per route, faults included. */
  requests: { upload: number; annotate: number };
}

export interface DatasetPeer {
  /** Every image the server holds, in upload order (optionally of one project). */
  images(project?: string): DatasetImage[];
  /** The image uploaded under `name` to `project`, if any. */
  byName(project: string, name: string): DatasetImage | undefined;
  stats: DatasetStats;
  fault(plan: DatasetFault): void;
  /** Drops every pending fault, keeping what the server holds. */
  clearFaults(): void;
  /** Forgets every image, fault and count. */
  reset(): void;
}

export interface DatasetRouteContext {
  keys: readonly string[];
  /** Largest upload body in bytes (default 20 MiB, like Roboflow's); larger gets 413. */
  maxUploadBytes: number;
  send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
}

const splits = new Set(['train', 'valid', 'test']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function error(message: string, type: string, hint?: string) {
  return { error: { message, type, ...(hint ? { hint } : {}) } };
}

function emptyStats(): DatasetStats {
  return { uploads: 0, duplicates: 0, annotations: 0, conflicts: 0, requests: { upload: 0, annotate: 0 } };
}

/** The dataset half of the peer: its store, its faults, and the request handler. */
export function createDatasetRoutes(ctx: DatasetRouteContext): DatasetPeer & {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]): Promise<void>;
} {
  const images = new Map<string, DatasetImage>();
  const byHash = new Map<string, string>();
  const stats = emptyStats();
  const faults = { upload: new FaultBook(), annotate: new FaultBook() };

  /** Answers a fault; returns true when the request is answered (or dropped) by it. */
  const applyFault = async (res: ServerResponse, plan: DatasetFault): Promise<void> => {
    switch (plan.kind) {
      case '429':
        return ctx.send(res, 429, error('Rate limit exceeded.', 'RateLimitError'), { 'retry-after': String(plan.retryAfter ?? 1) });
      case '503':
        return ctx.send(res, 503, error('Service unavailable.', 'ServerError'), { 'retry-after': String(plan.retryAfter ?? 1) });
      case 'garbage':
        if (plan.body === 'json') return ctx.send(res, 200, { status: 'ok' });
        return ctx.send(res, 200, '<html><body>upstream connect error</body></html>');
      case 'drop':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
        res.write('{"success": tr');
        await sleep(5);
        res.socket?.destroy();
        return;
      case 'status': {
        const status = plan.status ?? 500;
        const headers: Record<string, string> = plan.retryAfter !== undefined ? { 'retry-after': String(plan.retryAfter) } : {};
        if (plan.body === 'text') return ctx.send(res, status, `<html><body><h1>${status}</h1></body></html>`, headers);
        return ctx.send(res, status, error(`Injected failure ${status}`, 'InjectedFailure', 'A test asked for this.'), headers);
      }
      case 'slow':
        return;
    }
  };

  const authorised = (res: ServerResponse, url: URL): boolean => {
    const key = url.searchParams.get('api_key');
    if (key && ctx.keys.includes(key)) return true;
    ctx.send(res, 401, error('This API key does not exist (or has been revoked).', 'OAuthException', 'Check your API key in the Roboflow dashboard.'));
    return false;
  };

  async function upload(req: IncomingMessage, res: ServerResponse, url: URL, project: string): Promise<(() => Promise<void>) | void> {
    const { bytes, length } = await readBody(req, ctx.maxUploadBytes);
    if (!authorised(res, url)) return;
    if (!projects.some((p) => p.slug === project)) return ctx.send(res, 404, error(`Project ${project} not found.`, 'NotFoundException'));
    if (length > ctx.maxUploadBytes) return ctx.send(res, 413, error(`The upload of ${length} bytes exceeds the limit of ${ctx.maxUploadBytes} bytes.`, 'PayloadTooLarge'));
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data;/i.test(type)) return ctx.send(res, 400, error('Send the image as multipart/form-data.', 'InvalidRequest'));
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(bytes), { headers: { 'content-type': type } }).formData();
    } catch (err) {
      return ctx.send(res, 400, error(`The form could not be read: ${(err as Error).message}`, 'InvalidRequest'));
    }
    const file = form.get('file');
    const name = form.get('name');
    const split = form.get('split') ?? 'train';
    if (!(file instanceof Blob) || file.size === 0) return ctx.send(res, 400, error('No image in the "file" field.', 'InvalidRequest'));
    if (typeof name !== 'string' || name === '') return ctx.send(res, 400, error('No "name" field.', 'InvalidRequest'));
    if (typeof split !== 'string' || !splits.has(split)) return ctx.send(res, 400, error(`Split must be train, valid or test (got "${String(split)}").`, 'InvalidRequest'));
    const tags = url.searchParams.getAll('tag');
    if (tags.some((t) => !/^[a-zA-Z0-9 \-_:.[\]<>{}@]{1,64}$/.test(t))) return ctx.send(res, 400, error('A tag has characters that are not allowed.', 'InvalidRequest'));
    const data = Buffer.from(await file.arrayBuffer());
    const sha256 = createHash('sha256').update(data).digest('hex');
    const known = byHash.get(`${project}:${sha256}`);
    if (known) {
      return () => {
        stats.duplicates += 1;
        return Promise.resolve(ctx.send(res, 200, { duplicate: true, id: known }));
      };
    }
    const id = randomBytes(10).toString('hex');
    images.set(id, {
      id,
      project,
      name,
      split,
      batch: url.searchParams.get('batch'),
      tags,
      bytes: data,
      sha256,
      mime: file.type,
      labels: null,
      labelFile: null,
      predictionFlag: false,
    });
    byHash.set(`${project}:${sha256}`, id);
    stats.uploads += 1;
    return () => Promise.resolve(ctx.send(res, 200, { success: true, id }));
  }

  async function annotate(req: IncomingMessage, res: ServerResponse, url: URL, project: string, imageId: string): Promise<(() => Promise<void>) | void> {
    const { bytes } = await readBody(req, 1024 * 1024);
    if (!authorised(res, url)) return;
    if (!projects.some((p) => p.slug === project)) return ctx.send(res, 404, error(`Project ${project} not found.`, 'NotFoundException'));
    const image = images.get(imageId);
    if (!image || image.project !== project) return ctx.send(res, 404, error(`Image ${imageId} not found in ${project}.`, 'NotFoundException'));
    const name = url.searchParams.get('name');
    if (!name) return ctx.send(res, 400, error('Give the annotation file name as ?name=.', 'InvalidRequest'));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'text/plain') return ctx.send(res, 400, error('A classification annotation is text/plain.', 'InvalidRequest'));
    const labels = bytes
      .toString('utf8')
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    if (labels.length === 0) return ctx.send(res, 400, error('The annotation names no class.', 'InvalidRequest'));
    if (image.labels !== null && url.searchParams.get('overwrite') !== 'true') {
      stats.conflicts += 1;
      return ctx.send(res, 409, error('This image is already annotated.', 'AnnotationConflict', 'Pass overwrite=true to replace it.'));
    }
    image.labels = labels;
    image.labelFile = name;
    if (url.searchParams.get('prediction') === 'true') image.predictionFlag = true;
    stats.annotations += 1;
    return () => Promise.resolve(ctx.send(res, 200, { success: true }));
  }

  return {
    images: (project) => [...images.values()].filter((i) => project === undefined || i.project === project),
    byName: (project, name) => [...images.values()].find((i) => i.project === project && i.name === name),
    stats,
    fault(plan) {
      if (plan.route !== 'annotate') faults.upload.add(plan);
      if (plan.route !== 'upload') faults.annotate.add(plan);
    },
    clearFaults() {
      faults.upload.clear();
      faults.annotate.clear();
    },
    reset() {
      images.clear();
      byHash.clear();
      faults.upload.clear();
      faults.annotate.clear();
      Object.assign(stats, emptyStats());
    },
    async handle(req, res, url, segments) {
      // segments: ['dataset', project, 'upload'] or ['dataset', project, 'annotate', imageId]
      const route = segments[2] === 'upload' && segments.length === 3 ? 'upload' : segments[2] === 'annotate' && segments.length === 4 ? 'annotate' : null;
      if (req.method !== 'POST' || route === null) {
        await readBody(req, 0);
        return ctx.send(res, 404, error('Not found.', 'NotFoundException'));
      }
      stats.requests[route] += 1;
      const plan = faults[route].next() as DatasetFault | null;
      if (plan && !plan.afterEffect && plan.kind !== 'slow') {
        await readBody(req, 0);
        return applyFault(res, plan);
      }
      if (plan?.kind === 'slow') await sleep(plan.delayMs ?? 2000);
      const answer = route === 'upload' ? await upload(req, res, url, segments[1]) : await annotate(req, res, url, segments[1], segments[3]);
      if (!answer) return;
      // The request took effect; a fault "after" it loses only the answer.
      if (plan?.afterEffect) return applyFault(res, plan);
      await answer();
    },
  };
}

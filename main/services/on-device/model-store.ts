import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppFailure, type AppError } from '../../../app/errors';
import { modelIdPattern } from '../../../app/settings';
import { statusFailure, innermostReason, type FailureContext } from '../http-errors';
import { isClassificationType } from '../platform';
import { redactSecrets } from '../redact';
import { parseEnvironment, type ModelEnvironment } from './environment';
import type { SpawnWorker } from './pool';

// Downloaded models for the on-device engine, in the app's data folder (never the image folder):
// models/<project>/<version>/{weights.onnx, environment.json, model.json}.
//
// The protocol is Roboflow Inference's own model loading: GET {platform}/ort/{project}/{version}
// ?api_key=KEY&device=ID&nocache=true&dynamic=true names the environment and weights URLs (signed;
// the key is never sent to them). A pull is atomic: everything lands in a temporary folder beside
// the final one and is renamed into place only once verified, so a cancelled or broken download
// leaves the previous copy (or nothing) behind. Verified means: the body is as long as its
// Content-Length, its MD5 matches the storage's `x-goog-hash` when the server sends one (Google
// Cloud Storage does), and the weights load in an inference worker; model.json records the SHA-256,
// which identifies the weights from then on.

export interface ModelInfo {
  model: string;
  name: string;
  /** The platform API the weights came from (no key). */
  source: string;
  type: string;
  modelType: string;
  classes: string[];
  multiLabel: boolean;
  /** Bytes of weights.onnx. */
  size: number;
  sha256: string;
  fetchedAt: string;
}

const modelInfoSchema = z.object({
  model: z.string().regex(modelIdPattern),
  name: z.string(),
  source: z.string(),
  type: z.string(),
  modelType: z.string(),
  classes: z.array(z.string()),
  multiLabel: z.boolean(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  fetchedAt: z.string(),
});

export interface StoredModel {
  info: ModelInfo;
  dir: string;
  weightsPath: string;
  environment: ModelEnvironment;
}

export interface PullProgress {
  phase: 'metadata' | 'environment' | 'weights' | 'verifying';
  received: number;
  /** Null when the server does not say how big the weights are. */
  total: number | null;
}

export interface PullOptions {
  platformUrl: string;
  /** The one place the key enters a pull. */
  apiKey: string;
  onProgress?: (progress: PullProgress) => void;
  signal?: AbortSignal;
}

export interface ModelStoreOptions {
  dataDir: string;
  fetch?: typeof fetch;
  /** Loads the downloaded weights to prove they are a usable model (default: in an inference worker). */
  verify?: (weightsPath: string, environment: ModelEnvironment, modelType: string) => Promise<void>;
  /** How the default verify starts its inference worker (Electron: a utility process). */
  spawn?: SpawnWorker;
  now?: () => Date;
  metadataTimeoutMs?: number;
}

export interface ModelStore {
  pull(model: string, opts: PullOptions): Promise<ModelInfo>;
  list(): Promise<ModelInfo[]>;
  /** The downloaded model, or null when it is not (completely) downloaded. */
  get(model: string): Promise<StoredModel | null>;
  remove(model: string): Promise<boolean>;
  /** The stable, random id this installation sends as `device`. */
  deviceId(): Promise<string>;
}

const ortAnswer = z.looseObject({
  ort: z.looseObject({
    name: z.string().optional(),
    type: z.string(),
    environment: z.string().url(),
    model: z.string().url(),
    modelType: z.string().optional(),
    classes: z.array(z.string()).optional(),
  }),
});

const fail = (code: AppError['code'], message: string) => new AppFailure(code, message);

export function modelDir(dataDir: string, model: string): string {
  if (!modelIdPattern.test(model)) throw fail('invalid_input', `"${model.slice(0, 80)}" is not a model id: use project/version, for example cats-vs-dogs/3.`);
  const [project, version] = model.split('/');
  return path.join(dataDir, 'models', project, version);
}

async function defaultVerify(weightsPath: string, environment: ModelEnvironment, modelType: string, spawn?: SpawnWorker): Promise<void> {
  const { createInferencePool } = await import('./pool');
  const { normalisationFor } = await import('./environment');
  const pool = createInferencePool({ init: { weightsPath, environment, norm: normalisationFor(modelType) }, size: 1, spawn });
  try {
    await pool.ready();
  } finally {
    await pool.close();
  }
}

/** A pull killed midway (Ctrl-C, a crash) leaves its temporary folder behind; the next pull of the
 *  same version clears those older than an hour (a younger one may be another pull under way). */
async function clearStale(projectDir: string, version: string): Promise<void> {
  for (const name of await fs.readdir(projectDir).catch(() => [] as string[])) {
    if (!name.startsWith(`.${version}.download-`)) continue;
    const stale = path.join(projectDir, name);
    const stat = await fs.stat(stale).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > 3_600_000) await fs.rm(stale, { recursive: true, force: true });
  }
}

export function createModelStore(opts: ModelStoreOptions): ModelStore {
  const doFetch = opts.fetch ?? fetch;
  const root = path.join(opts.dataDir, 'models');
  const verify = opts.verify ?? ((weightsPath: string, environment: ModelEnvironment, modelType: string) => defaultVerify(weightsPath, environment, modelType, opts.spawn));
  const now = opts.now ?? (() => new Date());

  async function deviceId(): Promise<string> {
    const file = path.join(root, 'device-id');
    try {
      const id = (await fs.readFile(file, 'utf8')).trim();
      if (/^[0-9a-f-]{36}$/.test(id)) return id;
    } catch {
      // first use
    }
    const id = randomUUID();
    await fs.mkdir(root, { recursive: true });
    await fs.writeFile(file, id + '\n');
    return id;
  }

  async function get(model: string): Promise<StoredModel | null> {
    const dir = modelDir(opts.dataDir, model);
    let info: ModelInfo;
    let environment: ModelEnvironment;
    try {
      const parsed = modelInfoSchema.safeParse(JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')));
      if (!parsed.success) return null;
      info = parsed.data;
      environment = parseEnvironment(JSON.parse(await fs.readFile(path.join(dir, 'environment.json'), 'utf8')));
      const stat = await fs.stat(path.join(dir, 'weights.onnx'));
      if (stat.size !== info.size) return null;
    } catch (err) {
      // A model pulled before its preprocessing was checked: say what it needs, not "not downloaded".
      if (err instanceof AppFailure && err.code === 'model_not_found') throw err;
      return null;
    }
    return { info, dir, weightsPath: path.join(dir, 'weights.onnx'), environment };
  }

  async function pull(model: string, pullOpts: PullOptions): Promise<ModelInfo> {
    const final = modelDir(opts.dataDir, model);
    const key = pullOpts.apiKey;
    if (!key) throw fail('no_key', 'No API key is set. Downloading a model needs your Roboflow API key once; after that it runs offline.');
    const platform = pullOpts.platformUrl.trim().replace(/\/+$/, '');
    const ctx: FailureContext = { baseUrl: redactSecrets(platform, [key]), model, secrets: [key] };
    const progress = (p: PullProgress) => pullOpts.onProgress?.(p);
    const signal = pullOpts.signal;
    const stopped = () => signal?.aborted === true;
    const cancelledFailure = () => fail('cancelled', 'The download was cancelled.');
    const networkFailure = (err: unknown, what: string) =>
      stopped()
        ? cancelledFailure()
        : fail('network', redactSecrets(`The ${what} could not be downloaded (${innermostReason(err)}). Check the network connection and try again.`, [key]));

    // --- what the platform says about this model
    const [project, version] = model.split('/');
    let url: URL;
    try {
      url = new URL(`${platform}/ort/${encodeURIComponent(project)}/${version}`);
    } catch {
      throw fail('invalid_input', `The platform URL "${ctx.baseUrl}" is not a URL.`);
    }
    url.searchParams.set('api_key', key);
    url.searchParams.set('device', await deviceId());
    url.searchParams.set('nocache', 'true');
    url.searchParams.set('dynamic', 'true');
    progress({ phase: 'metadata', received: 0, total: null });
    let answer: z.infer<typeof ortAnswer>['ort'];
    try {
      const timeout = AbortSignal.timeout(opts.metadataTimeoutMs ?? 30_000);
      const res = await doFetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const text = await res.text();
      if (res.status !== 200) {
        const { error } = statusFailure(res.status, text, null, ctx);
        throw new AppFailure(error.code, error.message);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw fail('bad_response', `The platform's answer about "${model}" is not JSON. Check the platform URL.`);
      }
      const parsed = ortAnswer.safeParse(json);
      if (!parsed.success) throw fail('bad_response', `The platform's answer about "${model}" does not describe downloadable weights. Check the platform URL.`);
      answer = parsed.data.ort;
    } catch (err) {
      if (err instanceof AppFailure) throw err;
      throw networkFailure(err, `description of "${model}"`);
    }
    if (!isClassificationType(answer.type)) {
      throw fail(
        'invalid_input',
        `"${model}" is a${/^[aeiou]/i.test(answer.type) ? 'n' : ''} ${answer.type} model. The app runs classification models only (single- or multi-label), on this computer as through the API.`,
      );
    }

    // --- environment and weights into a temporary folder beside the final one
    await fs.mkdir(path.dirname(final), { recursive: true });
    await clearStale(path.dirname(final), version);
    const temp = path.join(path.dirname(final), `.${version}.download-${randomUUID().slice(0, 8)}`);
    await fs.mkdir(temp);
    try {
      progress({ phase: 'environment', received: 0, total: null });
      let envText: string;
      try {
        const res = await doFetch(answer.environment, { signal });
        envText = await res.text();
        if (res.status !== 200) throw fail('bad_response', `The model's environment file could not be downloaded (${res.status}). Try again later.`);
      } catch (err) {
        if (err instanceof AppFailure) throw err;
        throw networkFailure(err, 'environment file');
      }
      let environment: ModelEnvironment;
      try {
        environment = parseEnvironment(JSON.parse(envText));
      } catch (err) {
        if (err instanceof AppFailure) throw err;
        throw fail('bad_response', "The model's environment file is not JSON. Try again later.");
      }
      await fs.writeFile(path.join(temp, 'environment.json'), envText);

      const weightsPath = path.join(temp, 'weights.onnx');
      const { size, sha256 } = await downloadWeights(answer.model, weightsPath, (received, total) => progress({ phase: 'weights', received, total }), signal, key);
      progress({ phase: 'verifying', received: size, total: size });
      const modelType = answer.modelType ?? '';
      try {
        await verify(weightsPath, environment, modelType);
      } catch (err) {
        const why = err instanceof AppFailure || (typeof err === 'object' && err !== null && 'message' in err) ? (err as { message: string }).message : String(err);
        throw fail('bad_response', `The downloaded weights of "${model}" do not load as a model (${why}). Download it again.`);
      }
      const info: ModelInfo = {
        model,
        name: answer.name ?? model,
        source: ctx.baseUrl,
        type: answer.type,
        modelType,
        classes: environment.classes,
        multiLabel: environment.multiLabel,
        size,
        sha256,
        fetchedAt: now().toISOString(),
      };
      await fs.writeFile(path.join(temp, 'model.json'), JSON.stringify(info, null, 2) + '\n');
      if (stopped()) throw cancelledFailure();
      // Swap in: the old copy steps aside first (a folder cannot be renamed over a non-empty one).
      const old = existsSync(final) ? `${temp}.old` : null;
      if (old) await fs.rename(final, old);
      await fs.rename(temp, final);
      if (old) await fs.rm(old, { recursive: true, force: true });
      return info;
    } catch (err) {
      await fs.rm(temp, { recursive: true, force: true });
      if (err instanceof AppFailure) throw err;
      throw networkFailure(err, 'model');
    }

    async function downloadWeights(
      from: string,
      to: string,
      onBytes: (received: number, total: number | null) => void,
      abort: AbortSignal | undefined,
      secret: string,
    ): Promise<{ size: number; sha256: string }> {
      let res: Response;
      try {
        res = await doFetch(from, { signal: abort });
      } catch (err) {
        throw networkFailure(err, 'model weights');
      }
      if (res.status !== 200 || !res.body) {
        await res.body?.cancel().catch(() => {});
        throw fail(res.status === 404 ? 'model_not_found' : 'bad_response', `The model weights could not be downloaded (${res.status}). Try again later.`);
      }
      const lengthHeader = res.headers.get('content-length');
      const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
      const expectedMd5 = /(?:^|,)\s*md5=([A-Za-z0-9+/=]+)/.exec(res.headers.get('x-goog-hash') ?? '')?.[1] ?? null;
      const sha = createHash('sha256');
      const md5 = createHash('md5');
      // Awaited writes on a handle, not a stream: a download cut mid-way leaves no write pending on a
      // destroyed stream (that surfaced as an uncaught ERR_STREAM_DESTROYED in main).
      const out = await fs.open(to, 'w');
      let received = 0;
      try {
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            sha.update(chunk);
            md5.update(chunk);
            received += chunk.length;
            await out.write(chunk).catch((err: NodeJS.ErrnoException) => {
              throw fail('internal', `The model could not be saved in the app's data folder (${err.code ?? err.message}). Free some disk space and download again.`);
            });
            onBytes(received, total);
          }
        } catch (err) {
          if (err instanceof AppFailure) throw err;
          throw networkFailure(err, 'model weights');
        }
      } finally {
        await out.close();
      }
      if (total !== null && received !== total) {
        throw fail('network', redactSecrets(`The model weights arrived incomplete (${received} of ${total} bytes). Check the network connection and download again.`, [secret]));
      }
      if (expectedMd5 !== null && md5.digest('base64') !== expectedMd5) {
        throw fail('bad_response', 'The downloaded model weights do not match their checksum (MD5 from the storage server): the download was corrupted. Download again.');
      }
      return { size: received, sha256: sha.digest('hex') };
    }
  }

  async function list(): Promise<ModelInfo[]> {
    const out: ModelInfo[] = [];
    let projects: string[];
    try {
      projects = await fs.readdir(root);
    } catch {
      return out;
    }
    for (const project of projects.sort()) {
      let versions: string[];
      try {
        versions = await fs.readdir(path.join(root, project));
      } catch {
        continue;
      }
      for (const version of versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b))) {
        const model = `${project}/${version}`;
        if (!modelIdPattern.test(model)) continue;
        const stored = await get(model).catch(() => null);
        if (stored) out.push(stored.info);
      }
    }
    return out;
  }

  async function remove(model: string): Promise<boolean> {
    const dir = modelDir(opts.dataDir, model);
    if (!existsSync(dir)) return false;
    await fs.rm(dir, { recursive: true, force: true });
    // Leave no empty project folder behind.
    await fs.rmdir(path.dirname(dir)).catch(() => {});
    return true;
  }

  return { pull, list, get, remove, deviceId };
}

import { AppFailure, appError, isAppError } from '../../../app/errors';
import type { DownloadedModel, ModelDownloadProgress, ModelSelection } from '../../../app/model-ref';
import type { Settings } from '../../../app/settings';
import type { ApiTarget, Classifier, EngineClassifier } from '../classifier';
import { createEngineClassifier } from '../engine-classifier';
import { createModelRefs, type ModelRefs } from '../model-refs';
import { onDeviceSupport } from './availability';
import { createOnDeviceClassifier, notDownloaded, type OnDeviceClassifier } from './classifier';
import { createModelStore, type ModelInfo, type ModelStore } from './model-store';
import type { SpawnWorker } from './pool';

// The app's side of the on-device engine: the ModelRefs every service keys results by (a device
// model is known by the SHA-256 of its downloaded weights, read from the store and kept here so
// refs resolve synchronously), the classifier that routes each job to its engine, and the
// downloads started from Settings.

export interface AppEngineOptions {
  dataDir: string;
  settings: { get(): Settings };
  /** The Roboflow API client (the other engine). */
  api: EngineClassifier<ApiTarget>;
  /** The key for the platform URL, through the origin gate. */
  apiKeyFor(url: string): Promise<string>;
  emit(progress: ModelDownloadProgress): void;
  fetch?: typeof fetch;
  /** Tests give a store that needs no inference worker to verify. */
  store?: ModelStore;
  /** How inference workers start: Electron passes utility processes (utility-spawn.ts); worker threads otherwise. */
  spawn?: SpawnWorker;
  /** Tests pretend to be another machine (Intel Mac). */
  platform?: string;
  arch?: string;
}

export interface AppEngine {
  /** Which model a run, a page of results, an export or an evaluation means. */
  refs: ModelRefs;
  /** Routes each image to the engine its job's ModelRef names. */
  classifier: Classifier;
  device: OnDeviceClassifier;
  /** Call before a run starts: re-reads the downloaded models (the CLI may have pulled one) and
   *  fails with a clear message when the model cannot run on this computer. */
  prepareRun(selection?: ModelSelection): Promise<void>;
  downloaded(): Promise<DownloadedModel[]>;
  download(model: string): Promise<DownloadedModel>;
  cancelDownload(model?: string): boolean;
  remove(model: string): Promise<boolean>;
  onDevice(): boolean;
  close(): Promise<void>;
}

const shown = (info: ModelInfo): DownloadedModel => ({
  model: info.model,
  classes: info.classes,
  size: info.size,
  fetchedAt: info.fetchedAt,
  multiLabel: info.multiLabel,
  sha256: info.sha256,
});

export async function createAppEngine(opts: AppEngineOptions): Promise<AppEngine> {
  const store = opts.store ?? createModelStore({ dataDir: opts.dataDir, fetch: opts.fetch, spawn: opts.spawn });
  const device = createOnDeviceClassifier({ store, poolSize: () => opts.settings.get().onDeviceWorkers, platform: opts.platform, arch: opts.arch, spawn: opts.spawn });
  /** model -> the SHA-256 of its downloaded weights. */
  let hashes = new Map<string, string>();
  const downloads = new Map<string, AbortController>();

  async function refresh(): Promise<ModelInfo[]> {
    const list = await store.list();
    hashes = new Map(list.map((info) => [info.model, info.sha256]));
    return list;
  }
  await refresh().catch(() => undefined);

  const onDevice = () => opts.settings.get().engine === 'on-device';
  const refs = createModelRefs({ settings: opts.settings, deviceSha: (model) => hashes.get(model), notDownloaded });
  const classifier = createEngineClassifier({ api: opts.api, device: () => Promise.resolve(device) });

  return {
    refs,
    classifier,
    device,
    onDevice,
    async prepareRun(selection) {
      if ((selection?.engine ?? opts.settings.get().engine) !== 'on-device') return;
      await refresh();
      const chosen = selection?.model ?? opts.settings.get().model;
      if (!hashes.has(chosen)) throw notDownloaded(chosen);
      await device.open(chosen);
    },
    async downloaded() {
      return (await refresh()).map(shown);
    },
    async download(model) {
      if (downloads.has(model)) throw new AppFailure('invalid_input', `"${model}" is already downloading.`);
      const unsupported = onDeviceSupport(opts.platform, opts.arch);
      if (unsupported) throw new AppFailure(unsupported.code, unsupported.message);
      const platformUrl = opts.settings.get().platformApiUrl;
      const controller = new AbortController();
      downloads.set(model, controller);
      let last: ModelDownloadProgress = { model, phase: 'metadata', received: 0, total: null };
      opts.emit(last);
      try {
        const apiKey = await opts.apiKeyFor(platformUrl);
        const info = await store.pull(model, {
          platformUrl,
          apiKey,
          signal: controller.signal,
          onProgress: (p) => {
            last = { model, phase: p.phase, received: p.received, total: p.total };
            opts.emit(last);
          },
        });
        await refresh();
        opts.emit({ model, phase: 'done', received: info.size, total: info.size });
        return shown(info);
      } catch (error) {
        const cancelled = controller.signal.aborted;
        const e = error instanceof AppFailure ? error.toJSON() : isAppError(error) ? error : appError('internal', String((error as Error)?.message ?? error));
        opts.emit({ ...last, phase: cancelled ? 'cancelled' : 'failed', error: cancelled ? appError('cancelled', 'The download was cancelled.') : e });
        if (cancelled) throw new AppFailure('cancelled', 'The download was cancelled; nothing was kept.');
        throw error;
      } finally {
        downloads.delete(model);
      }
    },
    cancelDownload(model) {
      const targets = model ? [downloads.get(model)].filter((c) => c !== undefined) : [...downloads.values()];
      for (const controller of targets) controller.abort();
      return targets.length > 0;
    },
    async remove(model) {
      if (downloads.has(model)) throw new AppFailure('invalid_input', `"${model}" is downloading; cancel the download first.`);
      const removed = await store.remove(model);
      await refresh();
      return removed;
    },
    async close() {
      for (const controller of downloads.values()) controller.abort();
      await device.close();
    },
  };
}

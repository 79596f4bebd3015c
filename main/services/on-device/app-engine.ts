import { AppFailure, appError, isAppError } from '../../../app/errors';
import { isOnDeviceEndpoint, resultsEndpoint, type DownloadedModel, type ModelDownloadProgress } from '../../../app/model-ref';
import type { Settings } from '../../../app/settings';
import type { Classifier } from '../classifier';
import { onDeviceSupport } from './availability';
import { createOnDeviceClassifier, notDownloaded, type OnDeviceClassifier } from './classifier';
import { createModelStore, type ModelInfo, type ModelStore } from './model-store';

// The app's side of the on-device engine: which engine answers a run, the endpoint string its
// results are kept under, and the downloads started from Settings. The queue, results store,
// exporter and evaluation read endpoints synchronously from the settings; `settings.get()` here
// gives them the device's endpoint string when the engine is on this computer, so device and API
// results never share a journal and every consumer keeps its one code path.

export interface AppEngineOptions {
  dataDir: string;
  settings: { get(): Settings };
  /** The Roboflow API client (the other engine). */
  api: Classifier;
  /** The key for the platform URL, through the origin gate. */
  apiKeyFor(url: string): Promise<string>;
  emit(progress: ModelDownloadProgress): void;
  fetch?: typeof fetch;
  /** Tests give a store that needs no inference worker to verify. */
  store?: ModelStore;
  /** Tests pretend to be another machine (Intel Mac). */
  platform?: string;
  arch?: string;
}

export interface AppEngine {
  /** The settings as the queue and results see them: for the device, its endpoint string. */
  settings: { get(): Settings };
  /** Routes each image to the engine its job was started for (by its endpoint string). */
  classifier: Classifier;
  device: OnDeviceClassifier;
  /** Call before a run starts: re-reads the downloaded models (the CLI may have pulled one) and
   *  fails with a clear message when the model cannot run on this computer. */
  prepareRun(model?: string): Promise<void>;
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
  const store = opts.store ?? createModelStore({ dataDir: opts.dataDir, fetch: opts.fetch });
  const device = createOnDeviceClassifier({ store, poolSize: () => opts.settings.get().onDeviceWorkers, platform: opts.platform, arch: opts.arch });
  /** model -> the endpoint string of its downloaded weights. */
  let endpoints = new Map<string, string>();
  const downloads = new Map<string, AbortController>();

  async function refresh(): Promise<ModelInfo[]> {
    const list = await store.list();
    endpoints = new Map(list.map((info) => [info.model, resultsEndpoint({ engine: 'on-device', model: info.model, sha256: info.sha256 })]));
    return list;
  }
  await refresh().catch(() => undefined);

  const onDevice = () => opts.settings.get().engine === 'on-device';

  const settings = {
    get(): Settings {
      const s = opts.settings.get();
      if (s.engine !== 'on-device') return s;
      // Not downloaded: an endpoint string no journal was ever written under, so nothing from the
      // API shows as if the device had answered; prepareRun says what to do.
      const endpoint = endpoints.get(s.model) ?? `on-device:not-downloaded`;
      return { ...s, endpointKind: 'self-hosted', endpointUrl: endpoint };
    },
  };

  const classifier: Classifier = {
    classify: (input, target, signal, gate) => (isOnDeviceEndpoint(target.baseUrl) ? device.classify(input, target, signal, gate) : opts.api.classify(input, target, signal, gate)),
  };

  return {
    settings,
    classifier,
    device,
    onDevice,
    async prepareRun(model) {
      if (!onDevice()) return;
      await refresh();
      const chosen = model ?? opts.settings.get().model;
      if (!endpoints.has(chosen)) throw notDownloaded(chosen);
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

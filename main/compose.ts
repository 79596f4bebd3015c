import { existsSync } from 'node:fs';
import pkg from '../package.json' with { type: 'json' };
import { endpointBase, requestLimitOf, type WindowState } from '../app/settings';
import type { Emit, Ports } from './ports';
import type { ApiTarget, EngineClassifier } from './services/classifier';
import { createExporter } from './services/exporter';
import { createExportRuns } from './services/export-runs';
import { createInference } from './services/inference';
import { createCorrections } from './services/corrections';
import { createCredentials } from './services/credentials';
import { createEndpointMonitor } from './services/endpoint-status';
import { createEvaluation } from './services/evaluation';
import { createDatasetUpload } from './services/dataset-upload';
import { createDatasetClient } from './services/dataset-upload-client';
import { createSentJournals } from './services/dataset-upload-journal';
import { createLibrary } from './services/library';
import { createForeground } from './services/foreground';
import { createListingCache } from './services/listing-cache';
import { createLimiter } from './services/limit';
import { createChosenFolders, createDropChoice } from './services/chosen-folders';
import { createMediaHandler } from './services/media';
import { createModels } from './services/models';
import { dataPaths, makePrivateDir } from './services/paths';
import { createKeyCheck } from './services/key-check';
import { createPlatformClient } from './services/platform';
import { createResultsStore } from './services/results';
import { createRoboflowClient } from './services/roboflow';
import { createSettingsStore, type SettingsBacking } from './services/settings-store';
import { createThumbnails } from './services/thumbnails';
import { asWebJob, createWebImages, webJobEmit } from './services/web-images';
import { asCompareJob, compareJobEmit, routeStart } from './services/compare';
import { createAppEngine } from './services/on-device/app-engine';
import type { SpawnWorker } from './services/on-device/pool';
import { AppFailure } from '../app/errors';
import { resultsEndpoint } from '../app/model-ref';

// The composition root: builds every service from its dependencies and hands the handler table
// its ports. Electron (main/index.ts), the browser host (test/host) and tests all start here, so
// they run the same services.

export interface ComposeOptions {
  dataDir: string;
  emit: Emit;
  dialogs: Ports['dialogs'];
  initialFolder?: string | null;
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  shell: 'electron' | 'host';
  /** Electron passes its electron-store instance (same file as conf would open). */
  settingsBacking?: SettingsBacking;
  /** How on-device inference workers start: Electron passes utility processes; worker threads otherwise. */
  spawnWorker?: SpawnWorker;
}

export interface AppServices {
  ports: Ports;
  media: (request: Request) => Promise<Response>;
  /** The remembered window bounds, or a sensible first-run size. */
  windowState(): WindowState;
  saveWindowState(state: WindowState): void;
  onRecentChange(listener: () => void): () => void;
  /** Records what was dropped on the window (its path from the preload) as chosen; the path or ''. */
  chooseDropped(path: unknown): Promise<string>;
  close(): Promise<void>;
}

export async function createAppServices(opts: ComposeOptions): Promise<AppServices> {
  const { dataDir, emit } = opts;
  const paths = dataPaths(dataDir);
  const closers: Array<() => Promise<void>> = [];
  // Settings, results and thumbnails of the user's pictures: nobody else on the machine may read them.
  await makePrivateDir(dataDir);

  // --- settings
  const settings = createSettingsStore({ dataDir, backing: opts.settingsBacking });

  // --- library + thumbnails + media
  // Thumbnails the page waits for go ahead of the library's background passes.
  const foreground = createForeground();
  const library = createLibrary({ emit, foreground, listings: createListingCache({ dir: paths.listings, turn: foreground.turn }) });
  closers.push(() => library.close());
  // The disk cache keeps to its default budget (1 GiB); close stops its pruner.
  const thumbnails = createThumbnails({ cacheDir: paths.thumbnails });
  closers.push(() => thumbnails.close());
  const media = createMediaHandler({ library, thumbnails, foreground });

  // --- info
  const info = { version: pkg.version, platform: process.platform, dataDir, shell: opts.shell };

  // --- initial folder: the command line / host argument, else the last session's folder if it is still there
  const initialFolder = (): string | null => {
    if (opts.initialFolder) return opts.initialFolder;
    const last = settings.get().lastFolder;
    return last && existsSync(last) ? last : null;
  };
  const folders = createChosenFolders({ known: () => [opts.initialFolder, settings.get().lastFolder, ...settings.get().recentFolders] });
  // Read it while the window loads; the page's openFolder (through the gate) takes it over.
  const startFolder = initialFolder();
  const early = startFolder ? library.prefetch(startFolder, settings.get().recursive).catch(() => null) : Promise.resolve(null);

  // --- results, jobs, exporter
  // The Roboflow API engine. The client follows the settings of the moment (timeout, auth mode,
  // upload size, request limit); huge files are read and prepared one at a time across all queues.
  const largeFiles = createLimiter(1);
  const apiClassifier: EngineClassifier<ApiTarget> = {
    classify: (input, target, signal, gate) => {
      const s = settings.get();
      const client = createRoboflowClient({ fetch: opts.fetch, timeoutMs: s.timeoutMs, authMode: s.authMode, maxUploadSize: s.maxUploadSize, requestLimit: requestLimitOf(s), largeFiles });
      return client.classify(input, target, signal, gate);
    },
  };
  // The engine setting picks API or this computer; `engine.refs` names the model every service
  // keys results by (on the device, its weights' hash), `engine.classifier` routes each job.
  const engine = await createAppEngine({
    dataDir,
    settings,
    api: apiClassifier,
    fetch: opts.fetch,
    spawn: opts.spawnWorker,
    apiKeyFor: (url) => credentials.apiKeyFor(url),
    emit: (progress) => emit('modelDownload', progress),
  });
  closers.push(() => engine.close());
  const results = createResultsStore({ dataDir, refs: engine.refs, entryOf: (folderId, id) => library.get(folderId)?.entries.identityOf(id), listed: (folderId) => library.get(folderId)?.listed });
  // The start folder's stored results (of the current model) are opened while the window loads
  // too: the page asks for them as soon as it has the listing, and opening a journal of 250,000
  // results took 0.25-0.35 s of that wait.
  void early.then((info) => (info ? results.current(info.folderId) : null)).catch(() => undefined);
  const classifier = engine.classifier;
  // Job events pass the endpoint monitor, which tells the renderer when the
  // endpoint stops (or starts again) answering.
  const monitor = createEndpointMonitor({ baseUrl: () => endpointBase(settings.get()), emit, fetch: opts.fetch });
  // On this computer there is no endpoint to reach: it always answers.
  const onDeviceEndpoint = () => {
    const ref = engine.refs.current();
    return ref ? resultsEndpoint(ref) : '';
  };
  const endpoint = {
    jobEmit: monitor.jobEmit,
    check: () => (engine.onDevice() ? Promise.resolve({ reachable: true, checkedAt: new Date().toISOString(), endpoint: onDeviceEndpoint() }) : monitor.check()),
  };
  const queueOptions = {
    classifier,
    results,
    library,
    settings,
    refs: engine.refs,
    emit: endpoint.jobEmit,
    // Read from the keychain when an API job starts, never earlier (credentials is built below),
    // and only for an endpoint the key was entered for: the key gate. The device needs no key.
    getApiKey: (baseUrl: string) => credentials.apiKeyFor(baseUrl),
  };
  const jobs = createInference(queueOptions);
  // Web images get a queue of their own, so a pasted URL never waits for a folder run.
  const webJobs = createInference({ ...queueOptions, emit: webJobEmit(endpoint.jobEmit) });
  // A comparison model runs over the folder on a queue of its own, its events marked `compare`.
  const compareJobs = createInference({ ...queueOptions, emit: compareJobEmit(endpoint.jobEmit) });
  closers.push(async () => {
    await Promise.all([jobs.close(), webJobs.close(), compareJobs.close()]);
    await results.close();
  });
  // --- corrections: before the exporter, which writes their review fields
  const corrections = createCorrections({ dataDir });
  closers.push(() => corrections.close());

  // Exports from the window report progress and can be cancelled.
  const exporter = createExporter({ results, library, settings, dataDir, reviewFor: (folderId) => corrections.review(folderId) });
  const exportRuns = createExportRuns({ exporter, emit });

  // --- credentials
  // Profile and platform URL follow the settings of the moment; keytar loads on first use.
  const credentials = createCredentials({
    profile: () => settings.get().profile,
    platform: () => createPlatformClient({ baseUrl: settings.get().platformApiUrl, fetch: opts.fetch }),
    env: opts.env ?? process.env,
    origins: { get: (profile) => settings.keyOrigins(profile), set: (profile, origins) => settings.setKeyOrigins(profile, origins) },
    // A key entered in Settings is for the endpoint and platform API saved with it.
    bindTo: () => [endpointBase(settings.get()), settings.get().platformApiUrl],
    confirmSend: opts.dialogs.confirmKeySend,
  });

  // --- model picker, web images
  const models = createModels({
    credentials,
    platform: () => createPlatformClient({ baseUrl: settings.get().platformApiUrl, fetch: opts.fetch }),
  });
  const webImagesService = createWebImages({ jobs: webJobs, results });
  const webImages: Ports['webImages'] = {
    ...webImagesService,
    classify: (request) => {
      // The downloaded model reads image files; a web image goes to the Roboflow API.
      if (engine.onDevice()) {
        return Promise.reject(new AppFailure('invalid_input', 'Web images are classified through the Roboflow API. Switch the engine to "Roboflow API" in Settings to classify image URLs.'));
      }
      return webImagesService.classify(request);
    },
  };

  // --- evaluation
  const evaluation = createEvaluation({ library, results, corrections, settings, dataDir });

  // --- sending reviewed images and labels to a Roboflow project
  const send = createDatasetUpload({
    library,
    results,
    corrections,
    settings,
    refs: engine.refs,
    journals: createSentJournals({ dataDir }),
    client: createDatasetClient({ fetch: opts.fetch }),
    getApiKey: (platformUrl: string) => credentials.apiKeyFor(platformUrl),
    emit: (progress) => emit('sendProgress', progress),
  });
  closers.push(() => send.close());

  const startRun = routeStart({ jobs, compareJobs, settings });
  const ports: Ports = {
    info,
    settings,
    library,
    thumbnails,
    dialogs: opts.dialogs,
    initialFolder,
    jobs: {
      start: async (request) => {
        // Either model of a comparison may run on this computer: each job names its own engine.
        await engine.prepareRun({ model: request.model, engine: request.engine });
        return startRun(request);
      },
      // A jobId names either a folder run or a web-images job; both answer to pause/resume/cancel.
      pause: (jobId) => jobs.pause(jobId) ?? asWebJob(webJobs.pause(jobId)) ?? asCompareJob(compareJobs.pause(jobId)),
      resume: (jobId) => jobs.resume(jobId) ?? asWebJob(webJobs.resume(jobId)) ?? asCompareJob(compareJobs.resume(jobId)),
      cancel: (jobId) => jobs.cancel(jobId) ?? asWebJob(webJobs.cancel(jobId)) ?? asCompareJob(compareJobs.cancel(jobId)),
    },
    results,
    exporter: exportRuns.exporter,
    exportRuns,
    credentials: { ...credentials, checkDraft: createKeyCheck({ apiKeyFor: credentials.apiKeyFor, settings, fetch: opts.fetch }) },
    corrections,
    evaluation,
    models,
    webImages,
    endpoint,
    send,
    folders,
    onDevice: engine,
  };

  return {
    ports,
    media,
    windowState: () => settings.getWindowState() ?? { width: 1280, height: 820, maximized: false },
    saveWindowState: (state) => settings.setWindowState(state),
    onRecentChange: (listener) => settings.onRecentChange(listener),
    chooseDropped: createDropChoice({ folders, files: settings }),
    async close() {
      await Promise.allSettled(closers.map((close) => close()));
    },
  };
}

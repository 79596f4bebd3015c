import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadedModel, ModelDownloadProgress } from '../../../app/model-ref';
import { normaliseSettings } from '../../../app/settings';
import type { JobProgress, ResultSummary } from '../../../app/types';
import { defaultPeerKey } from '../../peer/server';
import { startApp, type App } from '../../support/app-harness';
import { startPeerApp, type PeerApp } from '../../support/peer-app';
import { createAppEngine } from '../../../main/services/on-device/app-engine';
import { writeColourImages, type ColourImage } from '../../support/colour-images';

// The app's services with the engine "On this computer": a model downloaded through the handler
// table from the peer's /ort route, runs answered by the device with no key, results kept apart
// from the API's, and, after a restart with the network and the key gone, the device's results
// still shown and a new run working.

let env: PeerApp;
let app: App;
let folder: string;
let images: ColourImage[];

beforeAll(async () => {
  env = await startPeerApp('cd-on-device-app-');
  folder = path.join(env.tmp, 'images');
  images = await writeColourImages(folder, 6);
  app = await env.start();
  // The key is entered for the platform API the model comes from.
  await app.call('setSettings', { platformApiUrl: env.peer.url });
  await app.call('setApiKey', { key: defaultPeerKey, sessionOnly: true });
});
afterAll(() => env?.close());

const run = async (a: App, folderId: string, force = false): Promise<JobProgress> => {
  const job = await a.call<JobProgress>('startJob', { folderId, force });
  return a.finished(job.jobId);
};
const labels = async (a: App, folderId: string) => {
  const page = await a.call<{ items: ResultSummary[] }>('resultsPage', { folderId, offset: 0, limit: 100 });
  return Object.fromEntries(page.items.filter((item) => item.status === 'done').map((item) => [item.id, item.scores[0][0]]));
};
const expected = () => Object.fromEntries(images.map((image) => [image.id, image.expected]));

describe('the on-device engine in the app', () => {
  it('says to download the model first, downloads it with progress, and runs it with results apart from the API’s', async () => {
    const folderId = await app.open(folder);
    // The API first: its results are not the device's.
    expect((await run(app, folderId)).done).toBe(images.length);
    const viaApi = env.peer.stats.inferences;

    await app.call('setSettings', { engine: 'on-device' });
    await expect(app.call('startJob', { folderId })).rejects.toThrow(/model_not_found: The model "colors\/1" is not downloaded for use on this computer/);
    expect(await app.call('downloadedModels')).toEqual([]);

    const got = await app.call<DownloadedModel>('downloadModel', { model: 'colors/1' });
    expect(got).toMatchObject({ model: 'colors/1', classes: ['red', 'green', 'blue'], multiLabel: false });
    const progress = app.events.filter((e) => e.event === 'modelDownload').map((e) => e.payload as ModelDownloadProgress);
    expect(progress.map((p) => p.phase)).toContain('weights');
    expect(progress.at(-1)).toMatchObject({ model: 'colors/1', phase: 'done', received: got.size });
    expect(await app.call('downloadedModels')).toEqual([got]);

    // Nothing of the API's shows under the device's engine until the device has answered.
    expect(await labels(app, folderId)).toEqual({});
    expect((await run(app, folderId)).done).toBe(images.length);
    expect(await labels(app, folderId)).toEqual(expected());
    expect(env.peer.stats.inferences).toBe(viaApi);

    // Web images go through the API only.
    await expect(app.call('classifyUrls', { folderId, urls: ['https://example.com/a.jpg'] })).rejects.toThrow(/invalid_input: Web images are classified through the Roboflow API/);
  });

  it('after a restart offline and without a key, shows the device’s results and runs again', async () => {
    await app.close();
    await env.peer.close();
    // No setApiKey: the session key is gone with the old app, and the peer with the network.
    const again = await startApp({ dataDir: path.join(env.tmp, 'data'), events: env.events });
    try {
      expect((await again.call<{ engine: string }>('getSettings')).engine).toBe('on-device');
      const folderId = await again.open(folder);
      expect(await labels(again, folderId)).toEqual(expected());
      const status = await again.call<{ reachable: boolean }>('endpointStatus');
      expect(status.reachable).toBe(true);
      const final = await run(again, folderId, true);
      expect(final).toMatchObject({ state: 'done', done: images.length, failed: 0 });
      expect(await labels(again, folderId)).toEqual(expected());

      // Removing the model says so at the next run.
      expect(await again.call('removeModel', { model: 'colors/1' })).toBe(true);
      expect(await again.call('downloadedModels')).toEqual([]);
      await expect(again.call('startJob', { folderId, force: true })).rejects.toThrow(/not downloaded for use on this computer/);
    } finally {
      await again.close();
    }
  });

  it('refuses downloads on an Intel Mac with a clear message', async () => {
    const engine = await createAppEngine({
      dataDir: path.join(env.tmp, 'intel-mac'),
      settings: { get: () => normaliseSettings({ engine: 'on-device', platformApiUrl: 'http://127.0.0.1:9', model: 'colors/1', onDeviceWorkers: 1 }) },
      api: { classify: () => Promise.reject(new Error('not used')) },
      apiKeyFor: () => Promise.reject(new Error('the key must not be read')),
      emit: () => undefined,
      platform: 'darwin',
      arch: 'x64',
    });
    try {
      await expect(engine.download('colors/1')).rejects.toThrow(/not available on this Mac/);
      await expect(engine.prepareRun()).rejects.toThrow(/not downloaded/);
    } finally {
      await engine.close();
    }
  });

  it('cancels a download: the pull is aborted and the last progress says cancelled', async () => {
    const events: ModelDownloadProgress[] = [];
    let pulling!: () => void;
    const started = new Promise<void>((resolve) => (pulling = resolve));
    const engine = await createAppEngine({
      dataDir: path.join(env.tmp, 'cancel'),
      settings: { get: () => normaliseSettings({ platformApiUrl: 'http://127.0.0.1:9', model: 'colors/1' }) },
      api: { classify: () => Promise.reject(new Error('not used')) },
      apiKeyFor: async () => 'rf_test_key_cancel',
      emit: (progress) => events.push(progress),
      // A pull that only ends when it is aborted (what the store does with its signal).
      store: {
        pull: (_model, opts) =>
          new Promise((_resolve, reject) => {
            pulling();
            opts.signal?.addEventListener('abort', () => reject(new Error('aborted')));
          }),
        list: async () => [],
        get: async () => null,
        remove: async () => false,
        deviceId: async () => 'test',
      },
    });
    try {
      const download = engine.download('colors/1');
      await started;
      expect(engine.cancelDownload('colors/1')).toBe(true);
      await expect(download).rejects.toThrow(/cancelled/);
      expect(events.at(-1)).toMatchObject({ model: 'colors/1', phase: 'cancelled' });
      expect(engine.cancelDownload('colors/1')).toBe(false);
    } finally {
      await engine.close();
    }
  });
});

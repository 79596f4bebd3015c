import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress, ResultRecord, ResultSummary } from '../../../app/types';
import { defaultPeerKey } from '../../peer/server';
import { fakeModel, installModel } from '../../support/onnx-models';
import { startPeerApp, type PeerApp } from '../../support/peer-app';
import { evaluationReport, type App } from '../../support/app-harness';
import { writeColourImages, type ColourImage } from '../../support/colour-images';

// "Compare two models" across engines, through the handler table: the current model on the Roboflow
// API (the test peer) and the same model downloaded and run on this computer, over one folder. Each
// run is journalled under its own ModelRef, each side reads back its own results, and the device
// run sends nothing to the peer.

let env: PeerApp;
let app: App;
let folder: string;
let images: ColourImage[];

beforeAll(async () => {
  env = await startPeerApp('cd-compare-engines-');
  folder = path.join(env.tmp, 'images');
  images = await writeColourImages(folder, 6);
  await installModel(path.join(env.tmp, 'data'), 'colors/1', fakeModel());
  app = await env.start();
  await app.call('setApiKey', { key: defaultPeerKey, sessionOnly: true });
});
afterAll(() => env?.close());

const labels = async (folderId: string, selection: Record<string, string> = {}) => {
  const page = await app.call<{ items: ResultSummary[] }>('resultsPage', { folderId, offset: 0, limit: 100, ...selection });
  return Object.fromEntries(page.items.filter((item) => item.status === 'done').map((item) => [item.id, item.scores[0][0]]));
};
const expected = () => Object.fromEntries(images.map((image) => [image.id, image.expected]));

describe('comparing the API with this computer', () => {
  it('runs the API model and the same model on this computer side by side, each under its own ref', async () => {
    await app.call('setSettings', { compareModel: 'colors/1', compareEngine: 'on-device' });
    const folderId = await app.open(folder);

    const first = await app.call<JobProgress>('startJob', { folderId });
    expect((await app.finished(first.jobId)).done).toBe(images.length);
    const viaApi = env.peer.stats.inferences;
    expect(viaApi).toBe(images.length);

    // The comparison: same model, other engine: the comparison queue, no request to the peer.
    const second = await app.call<JobProgress>('startJob', { folderId, model: 'colors/1', engine: 'on-device' });
    expect(second).toMatchObject({ compare: true, model: 'colors/1' });
    expect(await app.finished(second.jobId)).toMatchObject({ state: 'done', done: images.length, failed: 0 });
    expect(env.peer.stats.inferences).toBe(viaApi);

    expect(await labels(folderId)).toEqual(expected());
    expect(await labels(folderId, { model: 'colors/1', engine: 'on-device' })).toEqual(expected());
    // The device's own record, not the API's: no upload was prepared for it.
    const id = images[0].id;
    const api = await app.call<ResultRecord>('resultDetail', { folderId, id });
    const device = await app.call<ResultRecord>('resultDetail', { folderId, id, model: 'colors/1', engine: 'on-device' });
    expect(api.sent).toBeDefined();
    expect(device.sent).toBeUndefined();
    expect(device.response).not.toEqual(api.response);

    // Evaluation of either side against the folder names.
    const report = await evaluationReport(app, env.tmp, { folderId, model: 'colors/1', engine: 'on-device' });
    expect(report.endpoint).toMatch(/^on-device:/);
  });

  it('a device model that is not downloaded is refused with what to do', async () => {
    const folderId = await app.open(folder);
    await expect(app.call('startJob', { folderId, model: 'colors/2', engine: 'on-device' })).rejects.toThrow(/model_not_found: The model "colors\/2" is not downloaded/);
  });
});

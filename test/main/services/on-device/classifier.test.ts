import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse } from '../../../../app/roboflow';
import { onDeviceSupport } from '../../../../main/services/on-device/availability';
import { createOnDeviceClassifier, type OnDeviceClassifier } from '../../../../main/services/on-device/classifier';
import { createModelStore } from '../../../../main/services/on-device/model-store';
import { defaultPoolSize } from '../../../../main/services/on-device/pool';
import { createRoboflowClient } from '../../../../main/services/roboflow';
import { defaultPeerKey, startPeer, type Peer } from '../../../peer/server';
import { fakeModel, installModel } from '../../../support/onnx-models';
import { writeColourImages } from '../../../support/colour-images';

// The on-device classifier end to end in real inference workers (ONNX Runtime's CPU provider),
// over real image files, with generated models whose answers are known: softmax / sigmoid of the
// mean normalised colour. Its responses are compared with the test peer's API answers.

let dir: string;
let images: string;
let peer: Peer;
const open: OnDeviceClassifier[] = [];

const solid = async (name: string, r: number, g: number, b: number, w = 40, h = 20) => {
  const file = path.join(images, name);
  await sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } }).png().toFile(file);
  return file;
};
const target = (model: string) => ({ baseUrl: '', model, apiKey: '' });
const classifierFor = (dataDir: string, poolSize = 1) => {
  const c = createOnDeviceClassifier({ store: createModelStore({ dataDir }), poolSize: () => poolSize });
  open.push(c);
  return c;
};
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-engine-'));
  images = path.join(dir, 'images');
  await fs.mkdir(images);
  peer = await startPeer();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await peer.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('on-device classifier', () => {
  it('classifies a pure-red image as red with the hand-computed softmax, in the API single-label shape', async () => {
    const data = path.join(dir, 'single');
    await installModel(data, 'colors/1', fakeModel());
    const outcome = await classifierFor(data).classify({ kind: 'file', path: await solid('red.png', 255, 0, 0) }, target('colors/1'));
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    if (!outcome.ok) return;
    // Normalised mean colour (1, -1, -1): softmax = e / (e + 2/e) for red, (1/e) / (e + 2/e) for the others.
    const e = Math.E;
    const red = round4(e / (e + 2 / e));
    const other = round4(1 / e / (e + 2 / e));
    expect(outcome.response).toMatchObject({
      top: 'red',
      confidence: red,
      image: { width: 40, height: 20 },
      predictions: [
        { class: 'red', class_id: 0, confidence: red },
        { class: 'green', class_id: 1, confidence: other },
        { class: 'blue', class_id: 2, confidence: other },
      ],
    });
    expect(outcome.response.inference_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof outcome.response.time).toBe('number');
    expect(parseResponse(outcome.response)).toMatchObject({ ok: true, value: { multiLabel: false } });
  });

  it('a multi-label model answers raw sigmoid scores keyed by class and predicted_classes', async () => {
    const data = path.join(dir, 'multi');
    await installModel(data, 'colors-multi/1', fakeModel({ multiLabel: true }));
    // Yellow: normalised (1, 1, -1).
    const outcome = await classifierFor(data).classify({ kind: 'file', path: await solid('yellow.png', 255, 255, 0) }, target('colors-multi/1'));
    if (!outcome.ok) throw new Error(outcome.error.message);
    const s = (x: number) => 1 / (1 + Math.exp(-x));
    const predictions = outcome.response.predictions as Record<string, { confidence: number; class_id: number }>;
    expect(Object.keys(predictions)).toEqual(['red', 'green', 'blue']);
    expect(predictions.red.confidence).toBeCloseTo(s(1), 5);
    expect(predictions.blue).toMatchObject({ class_id: 2 });
    expect(predictions.blue.confidence).toBeCloseTo(s(-1), 5);
    // The floor is 0.01, as for the API: every class with a score at or above it is "predicted".
    expect(outcome.response.predicted_classes).toEqual(['red', 'green', 'blue']);
    expect(outcome.response).not.toHaveProperty('top');
    expect(parseResponse(outcome.response)).toMatchObject({ ok: true, value: { multiLabel: true } });
  });

  it('batches several images per run() when the batch dimension is dynamic, one per run() when it is fixed', async () => {
    const data = path.join(dir, 'batch');
    await installModel(data, 'colors/1', fakeModel({ model: { batch: 'N' } }));
    await installModel(data, 'colors/2', fakeModel({ model: { batch: 1 } }));
    const files = await Promise.all(Array.from({ length: 12 }, (_, i) => solid(`b${i}.png`, [255, 0, 0][i % 3], [0, 255, 0][i % 3], [0, 0, 255][i % 3])));
    const classifier = classifierFor(data);
    for (const model of ['colors/1', 'colors/2']) {
      const outcomes = await Promise.all(files.map((file) => classifier.classify({ kind: 'file', path: file }, target(model))));
      expect(outcomes.map((o) => (o.ok ? o.response.top : o.error.code))).toEqual(files.map((_, i) => ['red', 'green', 'blue'][i % 3]));
    }
    const dynamic = classifier.timings('colors/1')!;
    const fixed = classifier.timings('colors/2')!;
    expect(dynamic.images).toBe(12);
    expect(dynamic.runs).toBeLessThan(12);
    expect(fixed).toMatchObject({ images: 12, runs: 12 });
  });

  it('answers like the API (test peer) for the same images: same shape, same top class, scores within 0.02', async () => {
    const data = path.join(dir, 'compare');
    const store = createModelStore({ dataDir: data });
    await store.pull('colors/1', { platformUrl: peer.url, apiKey: defaultPeerKey });
    await store.pull('colors-multi/1', { platformUrl: peer.url, apiKey: defaultPeerKey });
    const files = await writeColourImages(path.join(dir, 'colours'), 6);
    const api = createRoboflowClient({ timeoutMs: 10_000, authMode: 'bearer', maxUploadSize: 0, requestLimit: Infinity });
    const device = classifierFor(data);
    for (const model of ['colors/1', 'colors-multi/1']) {
      for (const image of files) {
        const [a, d] = await Promise.all([
          api.classify({ kind: 'file', path: image.file }, { baseUrl: peer.url, model, apiKey: defaultPeerKey }),
          device.classify({ kind: 'file', path: image.file }, target(model)),
        ]);
        if (!a.ok || !d.ok) throw new Error(`${model} ${image.id}: ${!a.ok ? a.error.message : ''} ${!d.ok ? d.error.message : ''}`);
        expect(Object.keys(d.response).sort()).toEqual(Object.keys(a.response).sort());
        const pa = parseResponse(a.response);
        const pd = parseResponse(d.response);
        if (!pa.ok || !pd.ok) throw new Error('unparseable');
        expect(pd.value.multiLabel).toBe(pa.value.multiLabel);
        expect(pd.value.scores.map(([c]) => c)).toEqual(pa.value.scores.map(([c]) => c));
        pd.value.scores.forEach(([, conf], i) => expect(Math.abs(conf - pa.value.scores[i][1])).toBeLessThan(0.02));
        expect(d.response.image).toEqual(a.response.image);
        if (!pa.value.multiLabel) expect(d.response.top).toBe(image.expected);
      }
    }
  });

  it('a model that is not downloaded stops the job with model_not_found and says how to get it', async () => {
    const outcome = await classifierFor(path.join(dir, 'empty')).classify({ kind: 'file', path: await solid('r2.png', 255, 0, 0) }, target('colors/7'));
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: { code: 'model_not_found' } });
    if (!outcome.ok) expect(outcome.error.message).toContain('classify-desk models pull colors/7');
  });

  it('an unreadable image fails alone, as bad_image; web images are refused', async () => {
    const data = path.join(dir, 'bad');
    await installModel(data, 'colors/1', fakeModel());
    const broken = path.join(images, 'broken.jpg');
    await fs.writeFile(broken, 'not a jpeg at all');
    const classifier = classifierFor(data);
    const [bad, good] = await Promise.all([
      classifier.classify({ kind: 'file', path: broken }, target('colors/1')),
      classifier.classify({ kind: 'file', path: await solid('g.png', 0, 255, 0) }, target('colors/1')),
    ]);
    expect(bad).toMatchObject({ ok: false, retryable: false, error: { code: 'bad_image' } });
    expect(good).toMatchObject({ ok: true, response: { top: 'green' } });
    expect(await classifier.classify({ kind: 'url', url: 'https://example.com/a.jpg' }, target('colors/1'))).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('a cancelled image answers cancelled at once', async () => {
    const data = path.join(dir, 'cancel');
    await installModel(data, 'colors/1', fakeModel());
    const controller = new AbortController();
    controller.abort();
    expect(await classifierFor(data).classify({ kind: 'file', path: await solid('c.png', 255, 0, 0) }, target('colors/1'), controller.signal)).toMatchObject({
      ok: false,
      error: { code: 'cancelled' },
    });
  });
});

describe('where the engine runs', () => {
  it('says plainly that it is not available on an Intel Mac, and runs where ONNX Runtime ships a binary', () => {
    expect(onDeviceSupport('darwin', 'x64')?.message).toMatch(/not available on this Mac/);
    expect(onDeviceSupport('freebsd', 'x64')?.message).toMatch(/not available on freebsd x64/);
    for (const [platform, arch] of [['linux', 'x64'], ['linux', 'arm64'], ['darwin', 'arm64'], ['win32', 'x64'], ['win32', 'arm64']]) {
      expect(onDeviceSupport(platform, arch)).toBeNull();
    }
  });

  it('an Intel Mac gets that message from the classifier too, before any model is loaded', async () => {
    const classifier = createOnDeviceClassifier({ store: { get: () => Promise.reject(new Error('not reached')) }, platform: 'darwin', arch: 'x64' });
    const outcome = await classifier.classify({ kind: 'file', path: '/nowhere.jpg' }, target('colors/1'));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    if (!outcome.ok) expect(outcome.error.message).toMatch(/not available on this Mac/);
  });

  it('the default pool leaves one core free, with at least one worker', () => {
    expect(defaultPoolSize(1)).toBe(1);
    expect(defaultPoolSize(2)).toBe(1);
    expect(defaultPoolSize(8)).toBe(7);
  });
});

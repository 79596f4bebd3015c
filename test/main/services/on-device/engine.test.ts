import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse } from '../../../../app/roboflow';
import { createOnDeviceClassifier } from '../../../../main/services/on-device/classifier';
import { createModelStore } from '../../../../main/services/on-device/model-store';
import { fakeModel, installModel } from '../../../support/onnx-models';

let dir: string;
let images: string;
const solid = async (name: string, r: number, g: number, b: number, w = 40, h = 20) => {
  const file = path.join(images, name);
  await sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } }).png().toFile(file);
  return file;
};

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-engine-'));
  images = path.join(dir, 'images');
  await fs.mkdir(images);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('on-device classifier', () => {
  it('classifies a pure-red image as red with the hand-computed softmax (dynamic batch)', async () => {
    const data = path.join(dir, 'data1');
    await installModel(data, 'colors/1', fakeModel());
    const classifier = createOnDeviceClassifier({ store: createModelStore({ dataDir: data }), poolSize: () => 1 });
    try {
      const file = await solid('red.png', 255, 0, 0);
      const outcome = await classifier.classify({ kind: 'file', path: file }, { baseUrl: '', model: 'colors/1', apiKey: '' });
      expect(outcome).toMatchObject({ ok: true });
      if (!outcome.ok) return;
      const e = Math.E;
      const red = Math.round((e / (e + 2 / e)) * 1e4) / 1e4;
      const other = Math.round((1 / e / (e + 2 / e)) * 1e4) / 1e4;
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
      expect(parseResponse(outcome.response).ok).toBe(true);
    } finally {
      await classifier.close();
    }
  });
});

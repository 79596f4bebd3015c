import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Classifier, ClassifyTarget } from '../../main/services/classifier';
import { singleEngine } from '../../main/services/engine-classifier';
import { createOnDeviceClassifier } from '../../main/services/on-device/classifier';
import { createModelStore } from '../../main/services/on-device/model-store';
import { defaultPoolSize } from '../../main/services/on-device/pool';
import { createRoboflowClient } from '../../main/services/roboflow';
import { defaultPeerKey } from '../peer/server';
import { startPeerProcess } from './_peer-process';
import { fakeModel, installModel } from '../support/onnx-models';

// `npm run bench -- on-device`: the on-device engine over camera-like JPEGs with a synthetic model
// of ResNet-18's input size (224×224; a few strided convolutions give run() real work), at pool sizes
// 1 and cores - 1, then the API path against the test peer (own process, 100 ms latency) over the
// same images in the same run. Prints JSON lines: images/s, per-image decode+preprocess vs run()
// milliseconds, main's event-loop delay p99 during the run (target < 50 ms), and peak RSS (workers
// included: they are threads of this process).

const count = Number(process.env.BENCH_IMAGES ?? 120);
const inFlight = 8;
const print = (row: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'on-device', ...row }) + '\n');

async function makeImages(dir: string): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
    const file = path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`);
    // 1280×960 photos: decoding and shrinking them is a real part of the work.
    await sharp({ create: { width: 1280, height: 960, channels: 3, background, noise: { type: 'gaussian', mean: 128, sigma: 30 } } })
      .jpeg({ quality: 88 })
      .toFile(file);
    files.push(file);
  }
  return files;
}


/** Classifies every file with `inFlight` requests at a time, measuring main's event loop and memory. */
async function measure(classifier: Classifier, target: ClassifyTarget, files: string[]) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  loop.enable();
  const started = performance.now();
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < files.length) {
        const outcome = await classifier.classify({ kind: 'file', path: files[next++] }, target);
        if (!outcome.ok) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  clearInterval(sampler);
  return {
    imagesPerSecond: Number((files.length / seconds).toFixed(1)),
    failed,
    loopDelayP99Ms: Number((loop.percentile(99) / 1e6).toFixed(1)),
    loopDelayMaxMs: Number((loop.max / 1e6).toFixed(1)),
    peakRssMB: Math.round(peakRss / 1024 / 1024),
  };
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-bench-on-device-'));
try {
  const files = await makeImages(path.join(root, 'images'));
  const dataDir = path.join(root, 'data');
  const model = 'bench/1';
  await installModel(
    dataDir,
    model,
    fakeModel({
      model: { batch: 'N', height: 224, width: 224, convs: [{ out: 32, kernel: 7, stride: 2 }, { out: 64, kernel: 3, stride: 2 }, { out: 128, kernel: 3, stride: 2 }, { out: 256, kernel: 3, stride: 2 }] },
      modelType: 'resnet18',
    }),
  );
  const cores = os.availableParallelism();
  print({ images: count, inFlight, cores, model: '224x224 input, 4 strided convolutions (7x7/32, 3x3/64, 3x3/128, 3x3/256), dynamic batch' });
  for (const size of [...new Set([1, defaultPoolSize(cores)])]) {
    const classifier = createOnDeviceClassifier({ store: createModelStore({ dataDir }), poolSize: () => size });
    const target: ClassifyTarget = { ref: { engine: 'on-device', model, sha256: '' }, apiKey: '' };
    // Warm-up: start the workers and load the model outside the measurement.
    await classifier.classify({ kind: 'file', path: files[0] }, { model });
    const before = classifier.timings(model)!;
    const result = await measure(singleEngine({ device: classifier }), target, files);
    const after = classifier.timings(model)!;
    const images = after.images - before.images;
    print({
      engine: 'on-device',
      poolSize: size,
      ...result,
      prepareMsPerImage: Number(((after.prepareMs - before.prepareMs) / images).toFixed(1)),
      runMsPerImage: Number(((after.runMs - before.runMs) / images).toFixed(1)),
      imagesPerRun: Number((images / (after.runs - before.runs)).toFixed(1)),
    });
    await classifier.close();
  }

  const peer = await startPeerProcess(100);
  try {
    const api = createRoboflowClient({ timeoutMs: 30_000, authMode: 'bearer', maxUploadSize: 1024, requestLimit: Infinity });
    print({ engine: 'roboflow-api (test peer, 100 ms latency)', ...(await measure(singleEngine({ api }), { ref: { engine: 'roboflow-api', endpoint: peer.url, model: 'colors/1' }, apiKey: defaultPeerKey }, files)) });
  } finally {
    peer.stop();
  }
} finally {
  await fs.rm(root, { recursive: true, force: true });
}

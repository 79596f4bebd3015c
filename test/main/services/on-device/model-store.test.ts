import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createModelStore, type PullProgress } from '../../../../main/services/on-device/model-store';
import { ortModels } from '../../../peer/ort';
import { defaultPeerKey, startPeer, type Peer } from '../../../peer/server';
import { closedPortUrl } from '../../../support/net';

// Pulling models from the test peer's /ort route over loopback into a real temp data dir: the
// cache layout, what model.json records, and every fault leaving no half-written model behind.
// The default verification loads the weights in a real inference worker.

let peer: Peer;
let root: string;
let dataDir: string;
let n = 0;

beforeAll(async () => {
  peer = await startPeer();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-models-'));
});
afterAll(async () => {
  await peer.close();
  await fs.rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  dataDir = path.join(root, `data-${n++}`);
  peer.ort.faults.length = 0;
});

const pull = (model: string, extra: { apiKey?: string; platformUrl?: string; onProgress?: (p: PullProgress) => void; signal?: AbortSignal } = {}) =>
  createModelStore({ dataDir }).pull(model, { platformUrl: peer.url, apiKey: defaultPeerKey, ...extra });

/** The failure a promise ends in (a success fails the test). */
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error & { code: string }) => e,
  );

const listing = async (dir: string) => (await fs.readdir(dir).catch(() => [])).sort();

describe('model store', () => {
  it('pulls weights, environment and model.json into models/<project>/<version>, with a stable device id', async () => {
    const progress: PullProgress[] = [];
    const info = await pull('colors/1', { onProgress: (p) => progress.push(p) });
    const dir = path.join(dataDir, 'models', 'colors', '1');
    expect(await listing(dir)).toEqual(['environment.json', 'model.json', 'weights.onnx']);
    const weights = await fs.readFile(path.join(dir, 'weights.onnx'));
    expect(weights.equals(ortModels['colors/1'].onnx)).toBe(true);
    expect(info).toMatchObject({
      model: 'colors/1',
      source: peer.url,
      type: 'classification',
      modelType: 'vit',
      classes: ['red', 'green', 'blue'],
      multiLabel: false,
      size: weights.length,
      sha256: createHash('sha256').update(weights).digest('hex'),
    });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'))).toEqual(info);
    // The key never lands in the cache.
    for (const f of await listing(dir)) expect(await fs.readFile(path.join(dir, f), 'latin1')).not.toContain(defaultPeerKey);
    expect(progress.map((p) => p.phase)).toEqual(expect.arrayContaining(['metadata', 'environment', 'weights', 'verifying']));
    expect(progress.filter((p) => p.phase === 'weights').at(-1)).toEqual({ phase: 'weights', received: weights.length, total: weights.length });

    await pull('colors-multi/1');
    const store = createModelStore({ dataDir });
    expect((await store.list()).map((m) => [m.model, m.multiLabel])).toEqual([['colors/1', false], ['colors-multi/1', true]]);
    expect(peer.ort.devices.has(await store.deviceId())).toBe(true);
    expect(await store.deviceId()).toBe(await createModelStore({ dataDir }).deviceId());

    expect(await store.remove('colors/1')).toBe(true);
    expect(await store.get('colors/1')).toBeNull();
    expect(await store.remove('colors/1')).toBe(false);
  });

  it('maps a refused key to unauthorized without showing the key, and an unknown model to model_not_found', async () => {
    const wrong = 'rf_wrong_key_abcdef123456';
    await expect(pull('colors/1', { apiKey: wrong })).rejects.toMatchObject({ code: 'unauthorized' });
    const error = await failureOf(pull('colors/1', { apiKey: wrong }));
    expect(error.message).not.toContain(wrong);
    await expect(pull('colors/9')).rejects.toMatchObject({ code: 'model_not_found' });
    await expect(pull('colors/1', { apiKey: '' })).rejects.toMatchObject({ code: 'no_key' });
    expect(await listing(dataDir)).not.toContain('weights.onnx');
  });

  it('refuses an object-detection model with a clear message', async () => {
    const error = await failureOf(pull('traffic-signs/1'));
    expect(error).toMatchObject({ code: 'invalid_input' });
    expect(error.message).toMatch(/object-detection model.*classification models only/);
    expect(await listing(path.join(dataDir, 'models', 'traffic-signs'))).toEqual([]);
  });

  for (const [fault, code, why] of [
    ['truncated', 'network', /incomplete|could not be downloaded/],
    ['wrong-hash', 'bad_response', /checksum/],
    ['weights-404', 'model_not_found', /404/],
    ['not-onnx', 'bad_response', /do not load/],
  ] as const) {
    it(`a ${fault} download fails (${code}) and leaves the previous copy untouched`, async () => {
      const first = await pull('colors/1');
      peer.ort.faults.push(fault);
      const error = await failureOf(pull('colors/1'));
      expect(error).toMatchObject({ code });
      expect(error.message).toMatch(why);
      const store = createModelStore({ dataDir });
      expect((await store.get('colors/1'))?.info).toEqual(first);
      // No temporary folder is left behind.
      expect(await listing(path.join(dataDir, 'models', 'colors'))).toEqual(['1']);
    });
  }

  it('a cancelled pull stops and leaves nothing behind', async () => {
    const controller = new AbortController();
    const error = await failureOf(pull('colors/1', { signal: controller.signal, onProgress: (p) => p.phase === 'environment' && controller.abort() }));
    expect(error).toMatchObject({ code: 'cancelled' });
    expect(await createModelStore({ dataDir }).get('colors/1')).toBeNull();
    expect(await listing(path.join(dataDir, 'models', 'colors'))).toEqual([]);
  });

  it('a pull clears what an interrupted pull left an hour ago, and leaves a younger one (another pull under way) alone', async () => {
    const project = path.join(dataDir, 'models', 'colors');
    await fs.mkdir(path.join(project, '.1.download-killed'), { recursive: true });
    await fs.mkdir(path.join(project, '.1.download-running'), { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await fs.utimes(path.join(project, '.1.download-killed'), twoHoursAgo, twoHoursAgo);
    await pull('colors/1');
    expect(await listing(project)).toEqual(['.1.download-running', '1']);
  });

  it('an unreachable platform is a network error', async () => {
    await expect(pull('colors/1', { platformUrl: await closedPortUrl() })).rejects.toMatchObject({ code: 'network' });
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalisationFor, parseEnvironment } from '../../../../main/services/on-device/environment';
import { createInferencePool, type InferencePool } from '../../../../main/services/on-device/pool';
import { utilityProcessSpawn } from '../../../../main/services/on-device/utility-spawn';
import { FakeUtilityProcess, utilityProcess } from '../../../support/electron-stand-in';
import { fakeModel } from '../../../support/onnx-models';

// The Electron utilityProcess adapter, driven through a stand-in with Electron's API shape
// (child_process.fork underneath, `process.parentPort` in the child): the real inference worker runs
// in a process of its own, gets its init as the first message, answers with real ONNX Runtime
// results, and a process that dies is seen by the pool and replaced.

let dir: string;
let weightsPath: string;
const pools: InferencePool[] = [];
const children: FakeUtilityProcess[] = [];
const fork = (modulePath: string, args: string[], options: { serviceName: string; stdio?: 'inherit' | 'ignore' | 'pipe' }) => {
  const child = utilityProcess.fork(modulePath, args, options);
  children.push(child);
  return child;
};
const model = fakeModel();
const init = () => ({ weightsPath, environment: parseEnvironment(model.environment), norm: normalisationFor(model.modelType) });
const solid = async (name: string, r: number, g: number, b: number) => {
  const file = path.join(dir, name);
  await sharp({ create: { width: 16, height: 16, channels: 3, background: { r, g, b } } }).png().toFile(file);
  return file;
};
const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};
const top = (r: { ok: boolean; response?: Record<string, unknown> }) => (r.ok ? r.response?.top : null);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-utility-'));
  weightsPath = path.join(dir, 'weights.onnx');
  await fs.writeFile(weightsPath, model.onnx);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await fs.rm(dir, { recursive: true, force: true });
});

describe('inference workers as utility processes', { timeout: 120_000 }, () => {
  it('load the model from the init message and classify in a process of their own', async () => {
    const pool = createInferencePool({ init: init(), size: 2, spawn: utilityProcessSpawn(fork) });
    pools.push(pool);
    expect(await pool.ready()).toMatchObject({ input: { width: 224, height: 224 } });
    const [red, green, blue] = await Promise.all([solid('r.png', 255, 0, 0), solid('g.png', 0, 255, 0), solid('b.png', 0, 0, 255)]);
    const results = await Promise.all([red, green, blue].map((file) => pool.classify({ kind: 'file', path: file }, 0.01)));
    expect(results.map(top)).toEqual(['red', 'green', 'blue']);
    // Each worker is a child process of this one, not a thread.
    expect(children.length).toBeGreaterThanOrEqual(1);
    expect(children.every((c) => c.pid !== process.pid && alive(c.pid))).toBe(true);
    await pool.close();
    await expect.poll(() => children.map((c) => alive(c.pid))).toEqual(children.map(() => false));
  });

  it('a worker process that dies fails its image as internal (the queue retries it) and a new process takes the next', async () => {
    children.length = 0;
    const pool = createInferencePool({ init: init(), size: 1, spawn: utilityProcessSpawn(fork) });
    pools.push(pool);
    await pool.ready();
    const red = await solid('r2.png', 255, 0, 0);
    expect(top(await pool.classify({ kind: 'file', path: red }, 0.01))).toBe('red');
    const pending = pool.classify({ kind: 'file', path: red }, 0.01);
    children[0].child.kill('SIGKILL');
    // Killed with the image on its way: the pool hears the exit and fails it for a retry.
    expect(await pending).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringMatching(/stopped/) } });
    expect(top(await pool.classify({ kind: 'file', path: red }, 0.01))).toBe('red');
    expect(children.length).toBe(2);
    await pool.close();
  });

  it('a model that cannot load says why, from the process', async () => {
    const broken = path.join(dir, 'broken.onnx');
    await fs.writeFile(broken, 'not onnx');
    const pool = createInferencePool({ init: { ...init(), weightsPath: broken }, size: 1, spawn: utilityProcessSpawn(fork) });
    pools.push(pool);
    await expect(pool.ready()).rejects.toMatchObject({ message: expect.stringMatching(/do not load/) });
    await pool.close();
  });
});

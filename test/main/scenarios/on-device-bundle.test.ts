import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerEntry } from '../../../main/services/on-device/pool';
import { fakeModel, installModel } from '../../support/onnx-models';

// The on-device worker from the esbuild bundle, as shipped: main/cli.ts and the worker bundled the
// way scripts/build-main.mjs does (onnxruntime-node and sharp external), then the bundled CLI
// classifies with --engine on-device. The bundle sits under node_modules/.cache so its external
// packages resolve from the repository's node_modules.

const repo = path.resolve(__dirname, '../../..');
let dir: string;

beforeAll(async () => {
  await fs.mkdir(path.join(repo, 'node_modules', '.cache'), { recursive: true });
  dir = await fs.mkdtemp(path.join(repo, 'node_modules', '.cache', 'cd-bundle-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('on-device worker in the bundle', () => {
  it('is found next to either bundle, and is the TypeScript source under tsx otherwise', async () => {
    await fs.mkdir(path.join(dir, 'probe', 'main'), { recursive: true });
    await fs.writeFile(path.join(dir, 'probe', 'main', 'on-device-worker.mjs'), '');
    const probe = (rel: string) => new URL(`file://${path.join(dir, 'probe', rel)}`).href;
    expect(String(workerEntry(probe('cli.mjs')).script)).toBe(probe('main/on-device-worker.mjs'));
    expect(String(workerEntry(probe('main/index.mjs')).script)).toBe(probe('main/on-device-worker.mjs'));
    expect(workerEntry(probe('main/services/on-device/pool.ts')).eval).toBe(true);
    expect(() => workerEntry(probe('elsewhere/x/index.mjs'))).toThrow(/on-device-worker\.mjs/);
  });

  it('classifies with the bundled CLI and worker', async () => {
    const banner = { js: "import { createRequire as __cdCreateRequire } from 'node:module'; const require = __cdCreateRequire(import.meta.url);" };
    const common: BuildOptions = { bundle: true, platform: 'node', target: 'node20', format: 'esm', logLevel: 'warning', banner, external: ['electron', 'sharp', '@github/keytar', 'onnxruntime-node'] };
    await build({ ...common, entryPoints: [path.join(repo, 'main/cli.ts')], outfile: path.join(dir, 'cli.mjs') });
    await build({ ...common, entryPoints: [path.join(repo, 'main/services/on-device/worker.ts')], outfile: path.join(dir, 'main', 'on-device-worker.mjs') });
    const home = path.join(dir, 'home');
    await installModel(home, 'colors/1', fakeModel());
    const images = path.join(dir, 'images');
    await fs.mkdir(images);
    await sharp({ create: { width: 30, height: 20, channels: 3, background: { r: 0, g: 0, b: 250 } } }).jpeg().toFile(path.join(images, 'blue.jpg'));
    const child = spawn(process.execPath, [path.join(dir, 'cli.mjs'), 'infer', images, '--model', 'colors/1', '--engine', 'on-device'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CLASSIFY_DESK_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toContain('Classified 1 image in');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^blue\.jpg\tdone\tblue\t0\.\d{4}$/m);
  }, 60_000);
});

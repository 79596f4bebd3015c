import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { normaliseSettings } from '../../app/settings';
import { createInference } from '../../main/services/inference';
import { createLibrary } from '../../main/services/library';
import { createResultsStore } from '../../main/services/results';
import { createRoboflowClient } from '../../main/services/roboflow';
import { singleEngine } from '../../main/services/engine-classifier';
import { defaultPeerKey } from '../peer/server';
import { startPeerProcess } from './_peer-process';
import { percentile } from './_stats';

// `npx tsx test/bench/infer.ts` (or `npm run bench -- infer`): the job queue against the test peer
// with a fixed 100 ms latency, run in its own process so this process's CPU time is the client's
// alone. Prints JSON lines: throughput vs the ideal (concurrency / latency) at 1, 4, 8, 16; the
// speed-up over a sequential loop (one request at a time, like Roboflow's Python SDK); bytes
// uploaded for 12-megapixel JPEGs vs their file size with default settings; client CPU per image.
// Targets: >= 0.9x ideal at concurrency 8; 12 MP uploads <= 1/8 of the file size.

const latencyMs = 100;
const count = Number(process.env.BENCH_IMAGES ?? 200);
const concurrencies = [1, 4, 8, 16];
const print = (row: Record<string, unknown>) => process.stdout.write(JSON.stringify({ bench: 'infer', ...row }) + '\n');


async function makeImages(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
    // Small photos: the test peer decodes and hashes every image on one thread after its fixed
    // latency, so big ones would measure the peer's capacity instead of the client's queue.
    await sharp({ create: { width: 160, height: 120, channels: 3, background } })
      .composite([{ input: { create: { width: 40, height: 30, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }, top: i % 90, left: (i * 7) % 120 }])
      .jpeg({ quality: 88 })
      .toFile(path.join(dir, `photo-${String(i).padStart(4, '0')}.jpg`));
  }
}

/** Camera-like 12 MP JPEGs: smooth gradients plus sensor-like noise, encoded at q92. */
async function make12mp(dir: string, n: number): Promise<string[]> {
  await fs.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `camera-${i}.jpg`);
    const noise = await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 120 + i * 10, sigma: 28 } } })
      .blur(0.6 + i * 0.2)
      .png({ compressionLevel: 0 })
      .toBuffer();
    await sharp(noise).modulate({ hue: i * 40 }).jpeg({ quality: 92 }).toFile(file);
    files.push(file);
  }
  return files;
}

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-bench-infer-'));
const peer = await startPeerProcess(latencyMs);
try {
  const folder = path.join(tmp, 'photos');
  await makeImages(folder);
  const library = createLibrary({ emit: () => undefined });
  const info = await library.open(folder, false);
  await library.get(info.folderId)?.done;
  const client = createRoboflowClient({ timeoutMs: 30_000, authMode: 'bearer+query', maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024 });
  const target = { baseUrl: peer.url, model: 'colors/1', apiKey: defaultPeerKey };
  // Warm up the connection pool, sharp and the JIT, so the first measured run is not penalised.
  for (const id of [...(library.get(info.folderId)?.entries.keys() ?? [])].slice(0, 4)) await client.classify({ kind: 'file', path: path.join(folder, id) }, target);

  // The build machine is shared: short runs (3 s at concurrency 8) catch other work's spikes, so
  // each concurrency runs `repeats` times (fresh results store each time) and the median counts.
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  const results: Record<number, number> = {};
  for (const concurrency of concurrencies) {
    const runs: Array<{ throughput: number; seconds: number; cpuMs: number; failed: number; done: number }> = [];
    for (let r = 0; r < (concurrency === 1 ? 1 : repeats); r++) {
      const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', concurrency });
      const store = createResultsStore({ dataDir: path.join(tmp, `data-${concurrency}-${r}`) });
      const inference = createInference({ classifier: singleEngine({ api: client }), results: store, library, settings: { get: () => settings }, getApiKey: async () => defaultPeerKey, emit: () => undefined });
      const cpu = process.cpuUsage();
      const started = performance.now();
      const job = await inference.start({ folderId: info.folderId });
      const final = await inference.wait(job.jobId);
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      await store.close();
      runs.push({ throughput: final.done / seconds, seconds, cpuMs: (used.user + used.system) / 1000, failed: final.failed, done: final.done });
    }
    const throughput = percentile(runs.map((run) => run.throughput), 50);
    const ideal = concurrency / (latencyMs / 1000);
    results[concurrency] = throughput;
    print({
      metric: 'throughput',
      concurrency,
      images: runs[0].done,
      failed: runs.reduce((n, run) => n + run.failed, 0),
      runs: runs.length,
      seconds: runs.map((run) => +run.seconds.toFixed(2)),
      imagesPerSecond: +throughput.toFixed(1),
      ideal,
      ratioToIdeal: +(throughput / ideal).toFixed(3),
      clientCpuMsPerImage: +(percentile(runs.map((run) => run.cpuMs), 50) / runs[0].done).toFixed(2),
    });
  }

  const entries = [...(library.get(info.folderId)?.entries.keys() ?? [])];
  const seqStart = performance.now();
  for (const id of entries) await client.classify({ kind: 'file', path: path.join(folder, id) }, target);
  const seqSeconds = (performance.now() - seqStart) / 1000;
  const sequential = entries.length / seqSeconds;
  print({ metric: 'sequential-loop', images: entries.length, seconds: +seqSeconds.toFixed(2), imagesPerSecond: +sequential.toFixed(1) });
  for (const concurrency of concurrencies) {
    // Against what one request really costs end to end here (100 ms plus the peer's decoding and
    // HTTP on this machine), which no client can beat: how much of that the window keeps.
    print({
      metric: 'speedup-over-sequential',
      concurrency,
      speedup: +(results[concurrency] / sequential).toFixed(2),
      ratioToMeasuredIdeal: +(results[concurrency] / (concurrency * sequential)).toFixed(3),
    });
  }
  print({ metric: 'target', name: 'throughput >= 0.9x ideal at concurrency 8', value: +(results[8] / 80).toFixed(3), met: results[8] / 80 >= 0.9 });

  const big = await make12mp(path.join(tmp, 'camera'), 3);
  let worst = 0;
  for (const file of big) {
    const cpu = process.cpuUsage();
    const outcome = await client.classify({ kind: 'file', path: file }, target);
    const used = process.cpuUsage(cpu);
    const fileBytes = (await fs.stat(file)).size;
    const sent = outcome.ok ? outcome.sent : undefined;
    const bodyBytes = sent ? 4 * Math.ceil(sent.bytes / 3) : 0;
    worst = Math.max(worst, bodyBytes / fileBytes);
    print({
      metric: 'upload-12mp',
      file: path.basename(file),
      ok: outcome.ok,
      fileBytes,
      sentBytes: sent?.bytes,
      base64BodyBytes: bodyBytes,
      sent: sent ? `${sent.width}x${sent.height}` : null,
      ratioBodyToFile: +(bodyBytes / fileBytes).toFixed(4),
      clientCpuMs: +((used.user + used.system) / 1000).toFixed(1),
    });
  }
  print({ metric: 'target', name: '12 MP upload (base64 body) <= 1/8 of file size', value: +worst.toFixed(4), met: worst <= 1 / 8 });
  await library.close();
} finally {
  peer.stop();
  await fs.rm(tmp, { recursive: true, force: true });
}

// Starts the packaged main bundle (dist/main/index.mjs extracted from app.asar) under plain Node with
// the recording Electron stand-in, drives it a little the way the window would, and prints one JSON
// line per step on stdout. Any failure exits non-zero with the reason on stderr.
//   node start-packaged-main.mjs <extracted app dir> <bundled stand-in .mjs> <image folder>
import { createRequire, register } from 'node:module';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, standIn, folder] = process.argv.slice(2);
const rootUrl = pathToFileURL(root + sep).href;
register('./resolve-inside-package.mjs', import.meta.url, { data: { root: rootUrl, standIn: pathToFileURL(standIn).href } });

const say = (step, details = {}) => process.stdout.write(`${JSON.stringify({ step, ...details })}\n`);
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const entry = join(root, 'dist/main/index.mjs');
await import(pathToFileURL(entry).href);
const record = globalThis.__electron;
record.ready();
for (let i = 0; i < 400 && record.windows.length === 0; i++) await wait(25);
const window = record.windows[0];
if (!window) throw new Error('no window was created');
say('window created', { loaded: window.loaded, devTools: window.options.webPreferences.devTools });

const frame = { url: 'app://classify-desk/index.html' };
const invoke = async (channel, payload) => {
  const handler = record.ipcHandlers.get(`classify-desk:${channel}`);
  if (!handler) throw new Error(`no IPC handler for ${channel}`);
  const answer = await handler({ senderFrame: frame, sender: { mainFrame: frame } }, payload);
  if (!answer.ok) throw new Error(`${channel} failed: ${JSON.stringify(answer.error)}`);
  return answer.value;
};
say('appInfo', await invoke('appInfo', {}));

const page = await record.protocolHandlers.get('app')(new Request('app://classify-desk/index.html'));
say('renderer served', { status: page.status });

// A thumbnail goes through sharp and libvips from app.asar.unpacked. The folder is dropped on the
// window first (the preload's own channel): main opens only folders the person chose.
const dropped = await record.ipcHandlers.get('classify-desk-shell:dropped')({ senderFrame: frame, sender: { mainFrame: frame } }, folder);
if (dropped !== folder) throw new Error(`the drop channel answered ${JSON.stringify(dropped)}`);
const { folderId } = await invoke('openFolder', { path: folder });
let thumb;
for (let i = 0; i < 200; i++) {
  thumb = await record.protocolHandlers.get('app')(new Request(`app://classify-desk/media/thumb/${folderId}/red.jpg?s=64`));
  if (thumb.status === 200) break;
  await wait(25);
}
say('thumbnail', { status: thumb.status, type: thumb.headers.get('content-type') });

// The other native modules load from the package as main would load them.
const packageRequire = createRequire(entry);
const keytar = packageRequire('@github/keytar');
say('keytar loaded', { getPassword: typeof keytar.getPassword });
const ort = packageRequire('onnxruntime-node');
say('onnxruntime loaded', { InferenceSession: typeof ort.InferenceSession });

// On this computer: the packaged main starts its inference workers as utility processes (the
// stand-in forks the packaged dist/main/on-device-worker.mjs), which load ONNX Runtime and sharp from
// the package. The test installed colors/1 in the data folder; the red image must come out red.
await invoke('setSettings', { engine: 'on-device', model: 'colors/1' });
const job = await invoke('startJob', { folderId });
let final;
for (let i = 0; i < 1200 && !final; i++) {
  final = window.webContents.sent.map(([, payload]) => payload).find((p) => p && p.jobId === job.jobId && ['done', 'stopped', 'cancelled'].includes(p.state));
  if (!final) await wait(25);
}
const page1 = await invoke('resultsPage', { folderId, offset: 0, limit: 10 });
const forks = record.utilityForks ?? [];
say('classified on this computer', { state: final?.state, error: final?.error, top: page1.items[0]?.scores?.[0]?.[0], forks });

// CommonJS requires bypass the resolve hook: check where they came from.
const outside = Object.keys(packageRequire.cache).filter((file) => !file.startsWith(root + sep));
if (outside.length) throw new Error(`modules loaded from outside the package: ${outside.join(', ')}`);
say('done', { modules: Object.keys(packageRequire.cache).length });
process.exit(0);

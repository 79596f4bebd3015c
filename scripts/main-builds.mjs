// What `scripts/build-main.mjs` bundles with esbuild, shared with `npm run dev` (which watches the
// same builds). Native modules (sharp, keytar, ONNX Runtime) and electron stay external: they are
// loaded from node_modules (unpacked from the asar in packaged builds). The sandboxed preload can
// require almost nothing, so it is one self-contained CommonJS file.

const external = ['electron', 'sharp', '@github/keytar', 'onnxruntime-node'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
};
// ESM output still needs require() for the CommonJS packages esbuild inlines.
const requireShim = "import { createRequire as __cdCreateRequire } from 'node:module'; const require = __cdCreateRequire(import.meta.url);";

/** @type {import('esbuild').BuildOptions[]} */
export const mainBuilds = [
  { ...common, entryPoints: ['main/index.ts'], outfile: 'dist/main/index.mjs', format: 'esm', external, banner: { js: requireShim } },
  // The BMP decoder's worker thread, loaded beside index.mjs (and by the CLI under main/).
  { ...common, entryPoints: ['main/services/bmp-worker.ts'], outfile: 'dist/main/bmp-worker.mjs', format: 'esm', external },
  { ...common, entryPoints: ['main/preload.ts'], outfile: 'dist/main/preload.cjs', format: 'cjs', external: ['electron'] },
  { ...common, entryPoints: ['main/cli.ts'], outfile: 'dist/cli.mjs', format: 'esm', external, banner: { js: `#!/usr/bin/env node\n${requireShim}` } },
  // The on-device engine's inference worker: its own file, found next to dist/main/index.mjs and
  // from dist/cli.mjs (main/services/on-device/pool.ts). onnxruntime-node stays external (.node files).
  { ...common, entryPoints: ['main/services/on-device/worker.ts'], outfile: 'dist/main/on-device-worker.mjs', format: 'esm', external, banner: { js: requireShim } },
];

// Bundles the Electron main process, the preload and the CLI with esbuild.
// Native modules (sharp, keytar) and electron stay external: they are loaded from node_modules
// (unpacked from the asar in packaged builds). The sandboxed preload can require almost nothing,
// so it is one self-contained CommonJS file.
import { build } from 'esbuild';
import { chmod, mkdir } from 'node:fs/promises';

const external = ['electron', 'sharp', '@github/keytar', 'onnxruntime-node'];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
};

await mkdir('dist/main', { recursive: true });
await Promise.all([
  build({
    ...common,
    entryPoints: ['main/index.ts'],
    outfile: 'dist/main/index.mjs',
    format: 'esm',
    external,
    // ESM output still needs require() for the CommonJS packages esbuild inlines.
    banner: { js: "import { createRequire as __cdCreateRequire } from 'node:module'; const require = __cdCreateRequire(import.meta.url);" },
  }),
  // The BMP decoder's worker thread, loaded beside index.mjs (and by the CLI under main/).
  build({
    ...common,
    entryPoints: ['main/services/bmp-worker.ts'],
    outfile: 'dist/main/bmp-worker.mjs',
    format: 'esm',
    external,
  }),
  build({
    ...common,
    entryPoints: ['main/preload.ts'],
    outfile: 'dist/main/preload.cjs',
    format: 'cjs',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: ['main/cli.ts'],
    outfile: 'dist/cli.mjs',
    format: 'esm',
    external,
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __cdCreateRequire } from 'node:module'; const require = __cdCreateRequire(import.meta.url);",
    },
  }),
  // The on-device engine's inference worker: its own file, found next to dist/main/index.mjs and
  // from dist/cli.mjs (main/services/on-device/pool.ts). onnxruntime-node stays external (.node files).
  build({
    ...common,
    entryPoints: ['main/services/on-device/worker.ts'],
    outfile: 'dist/main/on-device-worker.mjs',
    format: 'esm',
    external,
    banner: { js: "import { createRequire as __cdCreateRequire } from 'node:module'; const require = __cdCreateRequire(import.meta.url);" },
  }),
]);
await chmod('dist/cli.mjs', 0o755);
console.log('built dist/main/index.mjs, dist/main/bmp-worker.mjs, dist/main/on-device-worker.mjs, dist/main/preload.cjs, dist/cli.mjs');

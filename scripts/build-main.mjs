// Bundles the Electron main process, the preload, the workers and the CLI (scripts/main-builds.mjs).
import { build } from 'esbuild';
import { chmod, mkdir } from 'node:fs/promises';
import { mainBuilds } from './main-builds.mjs';

await mkdir('dist/main', { recursive: true });
await Promise.all(mainBuilds.map((options) => build(options)));
await chmod('dist/cli.mjs', 0o755);
console.log(`built ${mainBuilds.map((options) => options.outfile).join(', ')}`);

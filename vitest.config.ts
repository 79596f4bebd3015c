import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { LongestFirst } from './test/support/file-order';

// Renderer unit tests (stores and components in a DOM, compiled by the Svelte plugin) are named
// `*.svelte.test.ts`: the `.svelte.` infix also lets them use runes ($effect.root) themselves.
const rendererUnit = 'test/renderer/**/*.svelte.test.ts';

// Test files share their worker's process and module cache (`isolate: false`): importing the
// services, zod, sharp and jsdom once per worker instead of once per file halves the suite's time.
// A file that binds the process to something it starts itself runs in a process of its own: a
// private keyring (GDBus keeps the first session bus a process connects to, so a second keyring file
// in the same process would talk to the first one's bus, or to none), or process-wide state it
// sets before importing the app. Such files are found by what they contain, so a new one cannot
// be forgotten: `startKeyring`, a scene with `keyring: true`, or the marker `vitest: own process`.
const ownProcessMark = /\bstartKeyring\b|\bkeyring: true\b|vitest: own process/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => path.relative('.', path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

const ownProcess = testFiles('test').filter(
  (file) => !file.startsWith('test/electron/') && ownProcessMark.test(readFileSync(file, 'utf8')),
);

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll retries every 250 ms instead of 50: almost every poll is an end-to-end spec asking
    // Chromium for a locator's text or attribute (a role query over the grid each time) while a run
    // or a load goes on. Same conditions and timeouts; 4 to 6 CPU-s less per 4 e2e files and no
    // slower (docs/testing.md).
    expect: { poll: { interval: 250 } },
    // Chromium and the keyring tests start their own processes; two cores run two files at once
    // (three measured no faster in CI: 251 s against 256 s, within the noise, and more load).
    maxWorkers: 2,
    // Long files first, projects kept together: test/support/file-order.ts.
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          isolate: false,
          // The Electron smoke test needs the real Electron binary: `npm run test:electron` (vitest.electron.config.ts).
          exclude: [...configDefaults.exclude, 'test/electron/**', rendererUnit, ...ownProcess],
        },
      },
      {
        extends: true,
        test: {
          name: 'own-process',
          include: ownProcess,
          isolate: true,
        },
      },
      {
        extends: true,
        // svelteTesting: browser builds of Svelte and a DOM cleanup after each test.
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'renderer',
          include: [rendererUnit],
          environment: 'jsdom',
          isolate: false,
          setupFiles: ['test/support/renderer-setup.ts'],
        },
      },
    ],
  },
});

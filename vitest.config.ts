import { configDefaults, defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Renderer unit tests (stores and components in a DOM, compiled by the Svelte plugin) are named
// `*.svelte.test.ts`: the `.svelte.` infix also lets them use runes ($effect.root) themselves.
const rendererUnit = 'test/renderer/**/*.svelte.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Chromium and the keyring tests start their own processes; two cores run two files at once
    // (three measured no faster in CI: 251 s against 256 s, within the noise, and more load).
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // The Electron smoke test needs the real Electron binary: `npm run test:electron` (vitest.electron.config.ts).
          exclude: [...configDefaults.exclude, 'test/electron/**', rendererUnit],
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
          setupFiles: ['test/support/renderer-setup.ts'],
        },
      },
    ],
  },
});

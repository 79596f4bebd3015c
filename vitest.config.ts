import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Electron smoke test needs the real Electron binary: `npm run test:electron` (vitest.electron.config.ts).
    exclude: [...configDefaults.exclude, 'test/electron/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Chromium and the keyring tests start their own processes; two cores run two files at once.
    maxWorkers: 2,
  },
});

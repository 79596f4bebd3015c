import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Chromium and the keyring tests start their own processes; two cores run two files at once.
    maxWorkers: 2,
  },
});

import { defineConfig } from 'vitest/config';

// `npm run test:electron`: the smoke test against the real Electron binary (release workflow, or any
// machine where `node node_modules/electron/install.js` could fetch it). One app at a time.
export default defineConfig({
  test: {
    include: ['test/electron/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

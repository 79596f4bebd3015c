// `npm test`: everything CI runs, in order: type-check, lint, build (the host and the CLI tests use
// the built renderer and CLI), then every vitest suite. Ends with one plain summary line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { electronBinary } from './electron-binary.mjs';

const steps = [
  ['type-check', 'npm', ['run', '--silent', 'typecheck']],
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['build', 'npm', ['run', '--silent', 'build']],
];
const only = process.argv.slice(2);
for (const [name, command, args] of only.length ? [] : steps) {
  console.log(`\n== ${name}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${name} failed (exit ${result.status ?? result.signal}).`);
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  }
}

// The Electron smoke test is not a vitest file of this run (vitest.config.ts excludes it): say so, never skip silently.
const why = electronBinary() ? 'it starts the real Electron app (under xvfb-run on Linux)' : 'the Electron binary is not installed here';
console.log(`\n== Electron smoke test (test/electron) not run by npm test: ${why}; \`npm run test:electron\` runs it.`);

console.log('\n== vitest');
mkdirSync('test-results', { recursive: true });
const report = 'test-results/vitest.json';
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...only],
  { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } },
);
let summary = null;
try {
  summary = JSON.parse(readFileSync(report, 'utf8'));
} catch {
  // vitest did not write its report: counted as a failure below
}
if (!summary) {
  console.log('tests: 0 passed, 1 failed');
  process.exit(vitest.status || 1);
}
// A file that failed without a failing test (an import error, a broken beforeAll) counts once.
const brokenFiles = summary.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
const failed = summary.numFailedTests + brokenFiles;
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`\ntests: ${summary.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
if (process.env.CI === 'true' && skipped > 0) {
  console.error('Under CI every test must run: some were skipped.');
  process.exit(1);
}
process.exit(vitest.status === 0 && failed === 0 && summary.numPassedTests > 0 ? 0 : 1);

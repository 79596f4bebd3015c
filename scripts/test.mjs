// `npm test`: everything CI runs: type-check, lint and build (the host and the CLI tests use the
// built renderer and CLI) side by side, each one's output printed whole when it ends, then every
// vitest suite. Ends with one plain summary line.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { electronBinary } from './electron-binary.mjs';

const steps = [
  ['type-check', 'npm', ['run', '--silent', 'typecheck']],
  ['lint', 'npm', ['run', '--silent', 'lint']],
  ['build', 'npm', ['run', '--silent', 'build']],
];

/** Runs a step with its output collected, so parallel steps do not interleave their lines. */
function runStep([name, command, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code, signal) => resolve({ name, code, signal, output, seconds: ((Date.now() - started) / 1000).toFixed(1) }));
  });
}

const only = process.argv.slice(2);
// Type-check and lint are each one thread's work: on two cores they take the time of the longer one.
const results = only.length ? [] : await Promise.all(steps.map(runStep));
for (const { name, code, signal, output, seconds } of results) {
  console.log(`\n== ${name} (${seconds} s)`);
  if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : output + '\n');
  if (code !== 0) {
    console.error(`${name} failed (exit ${code ?? signal}).`);
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

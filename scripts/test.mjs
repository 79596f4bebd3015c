// `npm test`: everything CI runs. The build comes first (the host and the CLI tests use the built
// renderer and CLI); type-check and lint start beside it and go on while every vitest suite runs,
// since vitest alone leaves part of the two cores idle (tests waiting on Chromium, servers, child
// processes). Each step's output is printed whole when it ends. Ends with one plain summary line.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { electronBinary } from './electron-binary.mjs';

/** Runs a step with its output collected, so parallel steps do not interleave their lines. */
function runStep(name, command, args, priority = 0) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    // npm's children (tsc, eslint) inherit the niceness.
    if (priority && child.pid) os.setPriority(child.pid, priority);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code, signal) => resolve({ name, code, signal, output, seconds: ((Date.now() - started) / 1000).toFixed(1) }));
  });
}

/** Prints a finished step; true when it passed. */
function report({ name, code, signal, output, seconds }) {
  console.log(`\n== ${name} (${seconds} s)`);
  if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : output + '\n');
  if (code === 0) return true;
  console.error(`${name} failed (exit ${code ?? signal}).`);
  return false;
}

const only = process.argv.slice(2);
// Checks run at a lower priority than the tests, so the tests' own timing stays what it is alone.
const checks = only.length
  ? []
  : [runStep('type-check', 'npm', ['run', '--silent', 'typecheck'], 19), runStep('lint', 'npm', ['run', '--silent', 'lint'], 19)];
if (!only.length && !report(await runStep('build', 'npm', ['run', '--silent', 'build']))) {
  await Promise.all(checks);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

// The Electron smoke test is not a vitest file of this run (vitest.config.ts excludes it): say so, never skip silently.
const why = electronBinary() ? 'it starts the real Electron app (under xvfb-run on Linux)' : 'the Electron binary is not installed here';
console.log(`\n== Electron smoke test (test/electron) not run by npm test: ${why}; \`npm run test:electron\` runs it.`);

console.log('\n== vitest');
mkdirSync('test-results', { recursive: true });
const jsonReport = 'test-results/vitest.json';
const vitestStatus = await new Promise((resolve) => {
  const child = spawn('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${jsonReport}`, ...only], {
    stdio: 'inherit',
    env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR },
  });
  child.on('close', (code) => resolve(code ?? 1));
});
let checksPassed = true;
for (const step of await Promise.all(checks)) checksPassed = report(step) && checksPassed;
let summary = null;
try {
  summary = JSON.parse(readFileSync(jsonReport, 'utf8'));
} catch {
  // vitest did not write its report: counted as a failure below
}
if (!summary) {
  console.log('tests: 0 passed, 1 failed');
  process.exit(vitestStatus || 1);
}
// A file that failed without a failing test (an import error, a broken beforeAll) counts once.
const brokenFiles = summary.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
).length;
// A failed type-check or lint counts once too.
const failed = summary.numFailedTests + brokenFiles + (checksPassed ? 0 : 1);
const skipped = summary.numPendingTests + summary.numTodoTests;
console.log(`\ntests: ${summary.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
if (process.env.CI === 'true' && skipped > 0) {
  console.error('Under CI every test must run: some were skipped.');
  process.exit(1);
}
process.exit(vitestStatus === 0 && failed === 0 && summary.numPassedTests > 0 ? 0 : 1);

import { validateWorkflow } from '@action-validator/core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The GitHub workflows are checked offline: against the workflow JSON schema (action-validator, a
// WebAssembly build that needs no network), then for what they must do for this project, so a typo
// or a dropped step fails here rather than on the day of a release.

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  needs?: string | string[];
  container?: { image: string };
  strategy?: { matrix: { include?: Array<Record<string, string>>; os?: string[] } };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
  env?: Record<string, string>;
}

const files = ['.github/workflows/ci.yml', '.github/workflows/release.yml'];
const source = (file: string) => readFileSync(file, 'utf8');
const load = (file: string) => parse(source(file)) as Workflow;
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
const builderConfig = parse(readFileSync('electron-builder.yml', 'utf8')) as Record<string, { target: Array<{ target: string }> }>;

const schemaErrors = (text: string) =>
  validateWorkflow(text).errors.map((error) => `${'path' in error ? error.path : ''} ${error.title}: ${error.detail ?? ''}`);

describe('GitHub workflows', () => {
  it.each(files)('%s is valid against the GitHub workflow schema', (file) => {
    expect(schemaErrors(source(file))).toEqual([]);
  });

  it('the schema check is not vacuous: a misspelt key or a job without runs-on fails', () => {
    expect(schemaErrors(source(files[1]).replace('runs-on: ${{ matrix.os }}', 'runs_on: ${{ matrix.os }}'))).not.toEqual([]);
    expect(schemaErrors(source(files[0]).replace('timeout-minutes: 30', 'timeout-minutes: soon'))).not.toEqual([]);
  });

  it.each(files)('%s: jobs it waits for exist, npm scripts it runs exist, actions are pinned to a version', (file) => {
    const workflow = load(file);
    for (const job of Object.values(workflow.jobs)) {
      for (const need of [job.needs ?? []].flat()) expect(Object.keys(workflow.jobs)).toContain(need);
      for (const step of job.steps) {
        if (step.uses) expect(step.uses, step.uses).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+|[0-9a-f]{40})$/);
        for (const [, script] of (step.run ?? '').matchAll(/npm run ([\w:-]+)/g)) expect(Object.keys(scripts), `npm run ${script}`).toContain(script);
      }
    }
  });

  it.each(files)('%s: secrets reach steps only through env, never pasted into a script', (file) => {
    const workflow = load(file);
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps) {
        expect(step.run ?? '', step.name).not.toMatch(/\$\{\{\s*secrets\./);
        for (const value of Object.values(step.with ?? {})) expect(String(value)).not.toMatch(/\$\{\{\s*secrets\./);
      }
    }
  });

  it('ci.yml runs bash .ci/run on Linux for pushes and pull requests', () => {
    const ci = load(files[0]);
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
    const steps = Object.values(ci.jobs).flatMap((job) => job.steps);
    expect(steps.map((step) => step.run?.trim())).toContain('bash .ci/run');
    for (const job of Object.values(ci.jobs)) expect(job['runs-on']).toMatch(/^ubuntu-/);
  });

  it('release.yml: on a version tag, tests first, then every OS builds, smoke-tests and uploads its installers', () => {
    const release = load(files[1]);
    expect(release.on.push).toEqual({ tags: ['v*'] });
    expect(release.jobs.test.steps.map((step) => step.run?.trim())).toContain('bash .ci/run');
    const installers = release.jobs.installers;
    expect(installers.needs).toBe('test');
    expect(installers.strategy?.matrix.include?.map((entry) => entry.os).sort()).toEqual(['macos-14', 'ubuntu-22.04', 'windows-latest']);

    const runs = installers.steps.map((step) => step.run ?? '');
    const at = (pattern: RegExp) => runs.findIndex((run) => pattern.test(run));
    const order = [
      at(/^npm ci\b/m),
      at(/node node_modules\/electron\/install\.js/),
      at(/npm run build/),
      at(/xvfb-run -a npm run test:electron/),
      at(/npx electron-builder/),
    ];
    expect(order.every((index) => index >= 0), `steps found at ${order.join(', ')}`).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(runs[at(/npx electron-builder/)]).toContain('--publish never');
    const upload = installers.steps.findIndex((step) => step.uses?.startsWith('actions/upload-artifact@'));
    expect(upload).toBeGreaterThan(at(/npx electron-builder/));

    // Every installer electron-builder.yml makes is uploaded.
    const extensions: Record<string, string> = { dmg: 'dmg', zip: 'zip', nsis: 'exe', AppImage: 'AppImage', deb: 'deb' };
    const paths = installers.steps[upload].with?.path ?? '';
    for (const os of ['mac', 'win', 'linux']) {
      for (const { target } of builderConfig[os].target) expect(paths, target).toContain(`release/*.${extensions[target]}`);
    }
  });

  it('release.yml: signing and notarisation come from secrets, and are skipped when they are absent', () => {
    const release = load(files[1]);
    const build = release.jobs.installers.steps.find((step) => step.run?.includes('npx electron-builder'));
    expect(build?.env).toMatchObject({
      CSC_LINK: '${{ secrets.MAC_CSC_LINK }}',
      WIN_CSC_LINK: '${{ secrets.WIN_CSC_LINK }}',
      APPLE_ID: '${{ secrets.APPLE_ID }}',
      APPLE_APP_SPECIFIC_PASSWORD: '${{ secrets.APPLE_APP_SPECIFIC_PASSWORD }}',
      APPLE_TEAM_ID: '${{ secrets.APPLE_TEAM_ID }}',
    });
    // Empty secrets are unset (electron-builder would take an empty CSC_LINK for a certificate), and an
    // unsigned macOS build is ad-hoc signed: its fuses were flipped, so Electron's own signature is void.
    expect(build?.run).toMatch(/\[ -n "\$\{!name\}" \] \|\| unset "\$name"/);
    expect(build?.run).toContain('-c.mac.identity=-');
  });
});

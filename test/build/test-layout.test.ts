import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// One rule for where a test lives, so a newcomer finds the test of any file by its name:
// - a test of one module is test/<the module's path>.test.ts (main/cli/evaluate.ts -> test/main/cli/evaluate.test.ts);
// - a test of a promise that spans modules (security, offline start, exports agreeing) is
//   test/<app|main|renderer>/scenarios/<what it promises>.test.ts;
// - the test servers test themselves beside their source (test/peer/server.test.ts);
// - end-to-end specs (test/e2e), build and package checks (test/build, test/package) and the Electron smoke
//   test (test/electron) are areas of their own;
// - helpers shared by tests are in test/support, not beside the tests.

const repo = path.resolve(import.meta.dirname, '../..');
// A component's test is <Component>.svelte.test.ts: its subject already ends in .svelte.
const sourceExtensions = ['.ts', '.svelte.ts', '.svelte', ''];
const ownAreas = new Set(['e2e', 'build', 'package', 'electron', 'bench', 'support']);
const mirrored = new Set(['app', 'main', 'renderer']);
const selfTesting = new Set(['peer', 'host']);

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(repo, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(repo, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** Why a file under test/ breaks the rule, or null. */
function misplaced(file: string, exists: (repoPath: string) => boolean): string | null {
  const [, area, ...rest] = file.split('/');
  if (ownAreas.has(area)) return null;
  if (!file.endsWith('.test.ts')) return mirrored.has(area) ? 'a helper shared by tests belongs in test/support' : null;
  const subject = file.slice(0, -'.test.ts'.length);
  if (mirrored.has(area)) {
    if (rest[0] === 'scenarios' && rest.length === 2) return null;
    const source = subject.slice('test/'.length);
    if (sourceExtensions.some((ext) => exists(source + ext))) return null;
    return `no ${source}.ts to test: name it after its module, or move it to test/${area}/scenarios/`;
  }
  if (selfTesting.has(area) && sourceExtensions.some((ext) => exists(subject + ext))) return null;
  return `test/${area}/ is not a place for tests`;
}

describe('test layout', () => {
  it('puts every test where its name says what it tests', () => {
    const wrong = filesUnder('test')
      .map((file) => ({ file, why: misplaced(file, (p) => statSync(path.join(repo, p), { throwIfNoEntry: false })?.isFile() === true) }))
      .filter((entry) => entry.why !== null);
    expect(wrong).toEqual([]);
  });

  it('catches a test named after no module, a helper beside the tests and a test outside the areas', () => {
    const none = () => false;
    expect(misplaced('test/main/services/frobnicate.test.ts', none)).toMatch(/no main\/services\/frobnicate\.ts/);
    expect(misplaced('test/main/services/fixtures.ts', none)).toMatch(/test\/support/);
    expect(misplaced('test/misc/thing.test.ts', none)).toMatch(/not a place/);
    expect(misplaced('test/main/scenarios/key-gate.test.ts', none)).toBeNull();
    expect(misplaced('test/main/cli/evaluate.test.ts', (p) => p === 'main/cli/evaluate.ts')).toBeNull();
    expect(misplaced('test/renderer/src/components/Grid.svelte.test.ts', (p) => p === 'renderer/src/components/Grid.svelte')).toBeNull();
    expect(misplaced('test/renderer/src/components/grid.svelte.test.ts', (p) => p === 'renderer/src/components/Grid.svelte')).not.toBeNull();
  });
});

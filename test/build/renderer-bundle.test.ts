import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRendererBuilt, rendererBundleSources } from '../e2e/fixtures';

// The page's bundle as built (npm test builds it first). Main validates every request and stores
// the settings, so the page has no use for zod: with it, a quarter of the bundle (88 of 359 KB) was
// zod, parsed at every start, and its schemas were built as the modules loaded. A value import of
// app/settings.ts or app/saved-views-schema.ts, or a zod schema built at module level in an app/
// module the page uses, brings it back.

describe('the renderer bundle', () => {
  it('carries no zod, and the app/ modules it does carry are plain rules', () => {
    assertRendererBuilt();
    const sources = rendererBundleSources();
    const inPackage = (name: string) => sources.filter((file) => file.includes(`${path.sep}node_modules${path.sep}${name}${path.sep}`));
    expect(inPackage('svelte').length).toBeGreaterThan(0);
    expect(inPackage('zod')).toEqual([]);
    const appModules = sources.filter((file) => file.includes(`${path.sep}app${path.sep}`) && !file.includes('node_modules')).map((file) => path.basename(file));
    expect(appModules).toContain('endpoints.ts');
    expect(appModules).not.toContain('settings.ts');
  });
});

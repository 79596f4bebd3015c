import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { cellOf } from './fixtures';

// Kept out of fixtures.ts, which the renderer benchmark imports outside vitest.

/** Presses Run and waits until each of `rels` shows a colour label (the test peer's colours model). */
export async function runUntilLabelled(page: Page, rels: readonly string[]): Promise<void> {
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  for (const rel of rels) {
    await expect.poll(() => cellOf(page, rel).getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/, (red|green|blue) \S+%/);
  }
}

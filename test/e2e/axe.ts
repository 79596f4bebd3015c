import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

// Accessibility checks for the end-to-end tests: axe-core injected into the page under test (the
// page must come from a browser context made with `bypassCSP: true`; the product's CSP stays
// strict), run with the WCAG 2.x A/AA rules up to 2.2 AA. One helper for every spec.

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** The WCAG 2.0, 2.1 and 2.2 rules at levels A and AA. */
export const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** Each failing node: its selector and what axe says about it. */
  nodes: Array<{ target: string; summary: string }>;
}

/** Runs axe over the whole page; answers every violation (all impacts). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const present = await page.evaluate(() => 'axe' in window);
  if (!present) await page.addScriptTag({ path: axePath });
  return page.evaluate(async (tags) => {
    type AxeResult = {
      violations: Array<{ id: string; impact?: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }>;
    };
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 300) })),
    }));
  }, wcagTags);
}

/** The serious and critical violations on the page, one readable line per failing node (empty = pass). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const violations = await axeViolations(page);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) at ${n.target}: ${n.summary}`));
}

import { apiRef } from '../../app/model-ref';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { endpointBase, type SettingsPatch } from '../../app/settings';
import type { ResultRecord } from '../../app/types';
import { folderIdOf } from '../../main/services/library';
import { createResultsStore, journalKey } from '../../main/services/results';

// Helpers for the review half of the renderer benchmark: stored results for a 50k folder, and
// in-page timings of filter, sort and threshold changes up to the next painted frame.

export const seededSettings: SettingsPatch = {
  endpointKind: 'self-hosted',
  endpointUrl: 'http://127.0.0.1:9',
  model: 'bench/1',
};

/** The seeded results' classes. */
export const benchClasses = ['cat', 'dog', 'owl', 'fox', 'bee'];
const classes = benchClasses;

/** Writes one stored result per image of the folder (single-label, five classes), as a run would;
 *  the journal is kept under the temp dir next to the folder, since writing 250,000 takes minutes. */
export async function seedResults(dataDir: string, folder: string, ids: string[]): Promise<void> {
  const folderId = folderIdOf(await realpath(folder));
  const endpoint = endpointBase(seededSettings as never);
  const file = path.join(dataDir, 'results', `${journalKey(folderId, apiRef(endpoint, seededSettings.model!))}.jsonl`);
  const cached = path.join(os.tmpdir(), `classify-desk-bench-results-${folderId}-${ids.length}-p4.jsonl`);
  if (existsSync(cached)) {
    await mkdir(path.dirname(file), { recursive: true });
    await copyFile(cached, file);
  }
  const store = createResultsStore({ dataDir });
  const journal = await store.journal(folderId, apiRef(endpoint, seededSettings.model!));
  if (journal.size >= ids.length) return store.close();
  const now = new Date().toISOString();
  for (let i = 0; i < ids.length; i++) {
    const info = await stat(path.join(folder, ids[i]));
    // Deterministic, spread-out scores: the top class and its confidence vary with the index.
    const top = classes[(i * 7) % classes.length];
    // At most four decimals, as the hosted API sends confidences (../shared/roboflow-protocol.md).
    const conf = (30 + ((i * 37) % 70)) / 100;
    const rest = Math.round(((1 - conf) / (classes.length - 1)) * 1e4) / 1e4;
    const predictions = [top, ...classes.filter((c) => c !== top)].map((c, k) => ({ class: c, class_id: classes.indexOf(c), confidence: k === 0 ? conf : rest }));
    const record: ResultRecord = {
      id: ids[i],
      size: info.size,
      mtimeMs: info.mtimeMs,
      status: 'done',
      response: { inference_id: `bench-${i}`, time: 0.01, image: { width: 96, height: 72 }, predictions, top, confidence: conf },
      startedAt: now,
      finishedAt: now,
    };
    await journal.append(record);
  }
  await store.close();
  await copyFile(file, cached);
}

/** An in-page expression, true once a badge shows and the Classified filter counts all `images`
 *  stored results (every page of them taken in). */
export function allResultsShown(images: number): string {
  const count = JSON.stringify(images.toLocaleString('en-US'));
  return `(document.querySelector('[role="gridcell"][aria-label*="%"]') !== null && [...document.querySelectorAll('aside[aria-label="Filters"] label')].some((l) => l.textContent.includes('Classified') && l.textContent.includes(${count})))`;
}

/** Runs `action` in the page and answers the ms until the frame after it was painted. */
export async function timeToPaint(page: Page, action: string): Promise<number> {
  return page.evaluate(`(async () => {
    const started = performance.now();
    ${action}
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    return performance.now() - started;
  })()`);
}

/** In-page actions on the filter sidebar, as strings (see renderer.ts for why). */
export const actions = {
  classFilter: (name: string) => `[...document.querySelectorAll('aside[aria-label="Filters"] label')].find((l) => l.textContent.includes('${name}')).querySelector('input').click();`,
  sort: (value: string) => `const s = document.querySelector('aside[aria-label="Filters"] select'); s.value = '${value}'; s.dispatchEvent(new Event('change', { bubbles: true }));`,
  threshold: (pct: number) => `const r = document.querySelector('input[aria-label="Threshold"]'); r.value = '${pct}'; r.dispatchEvent(new Event('input', { bubbles: true }));`,
  search: (text: string) => `const i = document.querySelector('input[type="search"]'); i.value = '${text}'; i.dispatchEvent(new Event('input', { bubbles: true }));`,
};

import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { appError } from '../../../../app/errors';
import { normaliseSettings } from '../../../../app/settings';
import { createStores, type Stores } from '../../../../renderer/src/stores/app-stores';
import { folderId, judgedApi, judgedStores } from '../../../support/renderer-fixtures.svelte';
import type { FakeApi } from '../../../support/fake-api';

let stores: (Stores & { destroy: () => void }) | undefined;
afterEach(() => stores?.destroy());
beforeEach(() => localStorage.clear());

async function evaluated(api: FakeApi): Promise<Stores & { destroy: () => void }> {
  stores = await judgedStores(api);
  return stores;
}

describe('EvaluationStore', () => {
  it('judges the results against the ground truth and follows the threshold with no further request', async () => {
    const api = judgedApi();
    const { evaluation, review } = await evaluated(api);
    expect(evaluation.metrics.evaluated).toBe(3);
    expect(evaluation.metrics.correct).toBe(2);
    expect(evaluation.truthMark('cat/2.jpg', 1)).toEqual({ label: 'cat', corrected: false, match: false, noPrediction: false });
    expect(evaluation.nameSuffix('cat/1.jpg', 0)).toBe(', truth: cat');
    const asked = api.requests('groundTruth').length;

    review.setThreshold(0.85);
    flushSync();
    // Only cat/1.jpg reaches 0.85: the others have no prediction and count as wrong.
    expect(evaluation.metrics.correct).toBe(1);
    expect(evaluation.metrics.noPrediction).toBe(2);
    expect(evaluation.truthMark('dog/1.jpg', 2)?.noPrediction).toBe(true);
    expect(api.requests('groundTruth')).toHaveLength(asked);
  });

  it('asks main again when the model or its endpoint changes, not when another setting is saved', async () => {
    let saved = normaliseSettings({ model: 'cats/2' });
    const api = judgedApi({ setSettings: (patch) => (saved = normaliseSettings({ ...saved, ...patch })) });
    const { evaluation, settings } = await evaluated(api);
    const asked = api.requests('groundTruth').length;
    // The threshold and the tile size as the page saves them a moment after they change.
    await settings.update({ threshold: 0.6 });
    await settings.update({ tileSize: 200 });
    flushSync();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(api.requests('groundTruth')).toHaveLength(asked);
    await settings.update({ model: 'cats/3' });
    flushSync();
    await vi.waitFor(() => expect(api.requests('groundTruth')).toHaveLength(asked + 1), { timeout: 10_000 });
    // The same model on another server: other stored results.
    await settings.update({ endpointKind: 'self-hosted', endpointUrl: 'http://127.0.0.1:9001' });
    flushSync();
    await vi.waitFor(() => expect(api.requests('groundTruth')).toHaveLength(asked + 2), { timeout: 10_000 });
    expect(evaluation.base).not.toBeNull();
  });

  it('a corrected label counts as the truth and is named so on the tile', async () => {
    const { evaluation, corrections } = await evaluated(judgedApi());
    await corrections.set(['cat/2.jpg'], { label: 'dog' });
    flushSync();
    expect(evaluation.truthMark('cat/2.jpg', 1)).toMatchObject({ label: 'dog', corrected: true, match: true });
    expect(evaluation.groundLabel('cat/2.jpg')).toBe('cat');
    expect(evaluation.nameSuffix('cat/2.jpg', 1)).toBe(', truth: dog (corrected)');
  });

  it('a confusion-matrix cell filters the grid to its images; clearing it shows them all', async () => {
    const { evaluation, review, library } = await evaluated(judgedApi());
    const cat = evaluation.prepared.classes.indexOf('cat');
    const dog = evaluation.prepared.classes.indexOf('dog');
    evaluation.showCell(cat, dog);
    expect(evaluation.cell).toEqual({ truth: 'cat', predicted: 'dog', count: 1 });
    expect(Array.from(review.view.order, (i) => library.ids[i])).toEqual(['cat/2.jpg']);
    evaluation.clearCell();
    expect(evaluation.cell).toBeNull();
    expect(review.view.order).toHaveLength(4);
  });

  it('mapping a folder name to a class is stored by main and asked for again', async () => {
    const api = judgedApi();
    const { evaluation } = await evaluated(api);
    evaluation.setMapping('kitten', 'kitten', 'cat');
    expect(evaluation.mapping).toEqual({ kitten: 'cat' });
    expect(evaluation.mappingNames).toEqual({ kitten: 'kitten' });
    await vi.waitFor(() => expect(api.requests('groundTruth').at(-1)?.mapping).toEqual({ kitten: 'cat' }), { timeout: 10_000 });
    expect(api.requests('setGroundTruthMapping')).toEqual([{ folderId, mapping: { kitten: 'cat' } }]);
    evaluation.setMapping('kitten', 'kitten', undefined);
    expect(evaluation.mapping).toEqual({});
  });

  it('a labels CSV is asked for with the evaluation and remembered for the folder', async () => {
    const api = judgedApi({ pickLabelsCsv: () => '/data/labels.csv' });
    const { evaluation } = await evaluated(api);
    expect(await evaluation.chooseLabelsCsv()).toBe('/data/labels.csv');
    evaluation.setLabelsPath('  /data/labels.csv ');
    expect(evaluation.labelsPath).toBe('/data/labels.csv');
    await vi.waitFor(() => expect(api.requests('groundTruth').at(-1)?.labelsPath).toBe('/data/labels.csv'), { timeout: 10_000 });
    expect(localStorage.getItem(`classify-desk:evaluation:${folderId}`)).toContain('/data/labels.csv');
  });

  it('shows why the ground truth could not be read, and drops truth of an older request', async () => {
    const api = judgedApi();
    const { evaluation } = await evaluated(api);
    api.handle('groundTruth', () => Promise.reject(appError('invalid_input', 'The labels CSV has no path column.')));
    await evaluation.fetch();
    expect(evaluation.error?.message).toBe('The labels CSV has no path column.');
    expect(evaluation.base).toBeNull();
    expect(evaluation.loading).toBe(false);
  });

  it('exports the report through main with the current mapping and threshold', async () => {
    const api = judgedApi({ exportEvaluation: () => ({ path: '/out/report.json', count: 4, format: 'json' }) });
    const { evaluation } = await evaluated(api);
    expect(await evaluation.export('report')).toMatchObject({ path: '/out/report.json' });
    expect(api.requests('exportEvaluation')).toEqual([{ folderId, threshold: 0.4, mapping: {}, classThresholds: {}, kind: 'report' }]);
  });
});

describe('EvaluationStore panel', () => {
  it('E toggles the panel and Close hides it', () => {
    const destroy = $effect.root(() => {
      const api = judgedApi();
      const { evaluation } = createStores(api);
      expect(evaluation.open).toBe(false);
      evaluation.toggle();
      expect(evaluation.open).toBe(true);
      evaluation.close();
      expect(evaluation.open).toBe(false);
    });
    destroy();
  });
});

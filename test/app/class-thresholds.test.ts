import { describe, expect, it } from 'vitest';
import { parseClassThresholds, unknownThresholdClasses } from '../../app/class-thresholds';
import { csvHeader, csvRow, exportDocument, exportImage } from '../../app/export-rows';
import { evaluateAt, mistakeIds, prepareEvaluation, type EvalInput } from '../../app/metrics';
import { passingLabels, passes, responseAt, thresholdFor, thresholdRule } from '../../app/roboflow';
import { buildNameIndex, buildView, defaultFilter } from '../../app/view-filter';
import type { ImageEntry, ResultRecord, ResultSummary } from '../../app/types';

// Per-class thresholds: one rule (roboflow.ts passes) that badges, filters, metrics and exports
// all follow; a class without an override uses the default.

const rule = thresholdRule(0.5, { blue: 0.9, red: 0.2 });

describe('the threshold rule with per-class overrides', () => {
  it('holds each class to its own threshold and the others to the default', () => {
    expect(thresholdFor(rule, 'blue')).toBe(0.9);
    expect(thresholdFor(rule, 'green')).toBe(0.5);
    expect(passes(0.85, rule, 'blue')).toBe(false);
    expect(passes(0.25, rule, 'red')).toBe(true);
    expect(passes(0.5, rule, 'green')).toBe(true);
    // No overrides: the plain number, so most code sees the simple form.
    expect(thresholdRule(0.4, {})).toBe(0.4);
  });

  it('labels a single-label result by its top class only, held to that class threshold', () => {
    expect(passingLabels([['blue', 0.85], ['red', 0.15]], false, rule).classes).toEqual([]);
    expect(passingLabels([['blue', 0.95], ['red', 0.05]], false, rule).classes).toEqual(['blue']);
    expect(passingLabels([['red', 0.3], ['green', 0.25]], false, rule).classes).toEqual(['red']);
    // A lower class passing its own (low) threshold does not take over from a failing top class.
    expect(passingLabels([['blue', 0.7], ['red', 0.3]], false, rule).classes).toEqual([]);
  });

  it('labels a multi-label result with every class passing its own threshold', () => {
    expect(passingLabels([['blue', 0.85], ['green', 0.6], ['red', 0.25]], true, rule).classes).toEqual(['green', 'red']);
  });

  it('answers the Roboflow fields as the rule says', () => {
    const single = { predictions: [{ class: 'blue', confidence: 0.7 }, { class: 'red', confidence: 0.3 }], top: 'blue', confidence: 0.7 };
    expect(responseAt(single, rule)).toMatchObject({ predictions: [], top: '', confidence: 0 });
    expect(responseAt(single, thresholdRule(0.5, { blue: 0.6 }))).toMatchObject({ top: 'blue', predictions: [{ class: 'blue', confidence: 0.7 }] });
    const multi = { predictions: { blue: { confidence: 0.85 }, green: { confidence: 0.6 }, red: { confidence: 0.25 } } };
    expect(responseAt(multi, rule)).toMatchObject({ predicted_classes: ['green', 'red'] });
  });
});

describe('metrics with per-class thresholds', () => {
  const single = (id: string, truth: string, scores: Array<[string, number]>, multiLabel = false): EvalInput => ({
    id, truth: [truth], result: { status: 'done', multiLabel, scores },
  });

  it('agree with passingLabels (the grid labels) image by image on random data', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const classes = ['blue', 'green', 'red'];
    const data = Array.from({ length: 300 }, (_, i) => single(`i${i}`, classes[Math.floor(rnd() * 3)], classes.map((c) => [c, rnd()] as [string, number])));
    const prepared = prepareEvaluation(data, classes);
    const m = evaluateAt(prepared, rule);
    let correct = 0;
    const wrong = new Set<string>();
    for (const d of data) {
      const [top] = passingLabels(d.result!.scores as Array<[string, number]>, false, rule).classes;
      if (top === d.truth![0]) correct++;
      else wrong.add(d.id);
    }
    expect(m.correct).toBe(correct);
    expect(mistakeIds(prepared, rule)).toEqual(wrong);
    expect(m.threshold).toBe(0.5);
    expect(m.classThresholds).toEqual({ blue: 0.9, red: 0.2 });
  });

  it('count a multi-label image right only when every class passes its own threshold', () => {
    const data = [single('a', 'green', [['blue', 0.85], ['green', 0.6]], true), single('b', 'blue', [['blue', 0.95], ['green', 0.4]], true)];
    const m = evaluateAt(prepareEvaluation(data, ['blue', 'green']), rule);
    expect(m.correct).toBe(2);
    expect(evaluateAt(prepareEvaluation(data, ['blue', 'green']), 0.5).correct).toBe(1);
  });
});

describe('grid counts and class filter with per-class thresholds', () => {
  const entries: ImageEntry[] = ['a.jpg', 'b.jpg', 'c.jpg'].map((id) => ({ id, name: id, size: 1, mtimeMs: 0 }));
  const done = (id: string, scores: Array<[string, number]>): ResultSummary => ({ id, status: 'done', stale: false, multiLabel: false, scores });
  const results = [done('a.jpg', [['blue', 0.85], ['red', 0.15]]), done('b.jpg', [['blue', 0.95], ['red', 0.05]]), done('c.jpg', [['red', 0.3], ['blue', 0.2]])];

  it('counts and filters classes as the badges say them', () => {
    const view = buildView(buildNameIndex(entries), results, { ...defaultFilter, classes: new Set(['blue']) }, 'name', rule);
    expect(view.counts.classes).toEqual(new Map([['blue', 1], ['red', 1]]));
    expect(Array.from(view.order, (i) => entries[i].id)).toEqual(['b.jpg']);
  });
});

describe('exports with per-class thresholds', () => {
  const record: ResultRecord = {
    id: 'x.jpg', size: 1, mtimeMs: 0, status: 'done', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:00.000Z',
    response: { predictions: [{ class: 'blue', confidence: 0.85 }, { class: 'red', confidence: 0.15 }], top: 'blue', confidence: 0.85 },
  };

  it('write the labels the rule gives, and the overrides in the JSON metadata', () => {
    expect(exportImage({ id: 'x.jpg', imagePath: '/x.jpg', threshold: rule, record })).toMatchObject({ top: '', predictions: [] });
    expect(exportImage({ id: 'x.jpg', imagePath: '/x.jpg', threshold: 0.5, record })).toMatchObject({ top: 'blue' });
    expect(csvRow('x.jpg', record, ['blue', 'red'], rule).split(',')[2]).toBe('');
    expect(csvHeader(['blue', 'red']).split(',')[2]).toBe('top_class');
    const doc = exportDocument({ model: 'm/1', endpoint: 'e', threshold: 0.5, classThresholds: { blue: 0.9 }, created: 'now', folder: '/f' }, []);
    expect(doc).toMatchObject({ threshold: 0.5, class_thresholds: { blue: 0.9 } });
  });
});

describe('parseClassThresholds (--thresholds)', () => {
  it('reads NAME=T pairs and refuses anything else with a message saying the form', () => {
    expect(parseClassThresholds('blue=0.9,red=0.5')).toEqual({ ok: true, value: { blue: 0.9, red: 0.5 } });
    expect(parseClassThresholds(' Golden Retriever = 0.7 ')).toEqual({ ok: true, value: { 'Golden Retriever': 0.7 } });
    for (const bad of ['blue', 'blue=', '=0.5', 'blue=1.5', 'blue=x']) {
      const parsed = parseClassThresholds(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(/CLASS=T/);
    }
    expect(unknownThresholdClasses({ blue: 0.9, purple: 0.1 }, ['blue', 'red'])).toEqual(['purple']);
  });
});

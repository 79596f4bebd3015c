import { describe, expect, it } from 'vitest';
import { comparable, disagreements, intersectAllowed, modelsDisagree, verdictAt } from '../../app/compare';
import type { ResultSummary } from '../../app/types';

const single = (...scores: Array<[string, number]>): ResultSummary => ({ id: 'x', status: 'done', stale: false, multiLabel: false, scores });
const multi = (...scores: Array<[string, number]>): ResultSummary => ({ ...single(...scores), multiLabel: true });
const failed: ResultSummary = { id: 'x', status: 'error', stale: false, multiLabel: false, scores: [], error: { code: 'bad_image', message: 'bad' } };

describe('verdictAt', () => {
  it('is the top class at or above the threshold, nothing below it, null when there is nothing to compare', () => {
    expect(verdictAt(single(['cat', 0.7], ['dog', 0.3]), 0.4)).toEqual(['cat']);
    expect(verdictAt(single(['cat', 0.4], ['dog', 0.3]), 0.4)).toEqual(['cat']);
    expect(verdictAt(single(['cat', 0.39], ['dog', 0.3]), 0.4)).toEqual([]);
    expect(verdictAt(single(), 0.4)).toEqual([]);
    expect(verdictAt(undefined, 0.4)).toBeNull();
    expect(verdictAt(failed, 0.4)).toBeNull();
    expect(verdictAt({ ...single(['cat', 0.9]), stale: true }, 0.4)).toBeNull();
  });

  it('is every class at or above the threshold for multi-label results, sorted by name', () => {
    expect(verdictAt(multi(['red', 0.9], ['green', 0.6], ['blue', 0.1]), 0.5)).toEqual(['green', 'red']);
    expect(verdictAt(multi(['red', 0.3]), 0.5)).toEqual([]);
  });
});

describe('modelsDisagree', () => {
  it('compares the labels at the threshold, not the raw top class', () => {
    expect(modelsDisagree(single(['cat', 0.9]), single(['dog', 0.8]), 0.4)).toBe(true);
    expect(modelsDisagree(single(['cat', 0.9]), single(['cat', 0.5]), 0.4)).toBe(false);
    // One model is sure, the other's top class falls under the threshold: they disagree there...
    expect(modelsDisagree(single(['cat', 0.9]), single(['cat', 0.35]), 0.4)).toBe(true);
    // ...and agree once the threshold moves below both.
    expect(modelsDisagree(single(['cat', 0.9]), single(['cat', 0.35]), 0.3)).toBe(false);
    // Both below: neither predicts anything, whatever their top classes.
    expect(modelsDisagree(single(['cat', 0.3]), single(['dog', 0.2]), 0.4)).toBe(false);
  });

  it('never counts a missing, failed or stale result as a disagreement', () => {
    expect(modelsDisagree(single(['cat', 0.9]), undefined, 0.4)).toBe(false);
    expect(modelsDisagree(undefined, single(['cat', 0.9]), 0.4)).toBe(false);
    expect(modelsDisagree(single(['cat', 0.9]), failed, 0.4)).toBe(false);
    expect(modelsDisagree({ ...single(['cat', 0.9]), stale: true }, single(['dog', 0.9]), 0.4)).toBe(false);
  });

  it('compares label sets when either model is multi-label', () => {
    expect(modelsDisagree(multi(['red', 0.9], ['green', 0.6]), multi(['green', 0.7], ['red', 0.8]), 0.5)).toBe(false);
    expect(modelsDisagree(multi(['red', 0.9], ['green', 0.6]), multi(['red', 0.9], ['green', 0.4]), 0.5)).toBe(true);
    expect(modelsDisagree(multi(['red', 0.9], ['green', 0.2]), single(['red', 0.8]), 0.5)).toBe(false);
    expect(modelsDisagree(multi(['red', 0.9], ['green', 0.6]), single(['red', 0.8]), 0.5)).toBe(true);
  });
});

describe('disagreements and comparable', () => {
  it('lists the indices where both classified and differ, and counts those both classified', () => {
    const a = [single(['cat', 0.9]), single(['cat', 0.9]), undefined, single(['dog', 0.6]), failed, single(['dog', 0.9])];
    const b = [single(['cat', 0.8]), single(['dog', 0.7]), single(['dog', 0.7]), single(['cat', 0.6]), single(['cat', 0.9])];
    expect([...disagreements(a, b, 0.4)]).toEqual([1, 3]);
    expect(comparable(a, b)).toBe(3);
    expect(disagreements([], [], 0.4).size).toBe(0);
  });
});

describe('intersectAllowed', () => {
  it('keeps what both allow; null allows everything', () => {
    expect(intersectAllowed(null, null)).toBeNull();
    expect(intersectAllowed(undefined, new Set([1]))).toEqual(new Set([1]));
    expect(intersectAllowed(new Set([2]), null)).toEqual(new Set([2]));
    expect(intersectAllowed(new Set([1, 2, 3]), new Set([3, 4, 2]))).toEqual(new Set([2, 3]));
    expect(intersectAllowed(new Set([1]), new Set())).toEqual(new Set());
  });
});

import { describe, expect, it } from 'vitest';
import { errorBodyMessage, passingLabels, normaliseResponse, parseResponse } from '../../app/roboflow';

// The JSON examples are copied from roboflow-protocol.md.

const singleLabel = {
  inference_id: '879458d9-2816-4fdf-8c2c-5e95616b1ff4',
  time: 0.321,
  image: { width: 100, height: 100 },
  predictions: [
    { class: '10c', class_id: 0, confidence: 0.3431 },
    { class: '50c', class_id: 6, confidence: 0.3393 },
  ],
  top: '10c',
  confidence: 0.3431,
};

const multiLabel = {
  inference_id: '95ce9316-58a7-45f2-b4f3-fecda8e6a6f3',
  time: 0.364,
  image: { width: 416, height: 416 },
  predictions: {
    cat: { confidence: 0.8809, class_id: 0 },
    dog: { confidence: 0.8838, class_id: 1 },
  },
  predicted_classes: ['cat', 'dog'],
};

describe('parseResponse', () => {
  it('reads the single-label example and keeps it verbatim', () => {
    const parsed = parseResponse(singleLabel);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.multiLabel).toBe(false);
    expect(parsed.value.scores).toEqual([
      ['10c', 0.3431],
      ['50c', 0.3393],
    ]);
    expect(parsed.value.raw).toBe(singleLabel);
  });

  it('reads the multi-label example, sorting the object entries by confidence', () => {
    const parsed = parseResponse(multiLabel);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.multiLabel).toBe(true);
    expect(parsed.value.scores).toEqual([
      ['dog', 0.8838],
      ['cat', 0.8809],
    ]);
  });

  it('tells the shapes apart by predictions, not by top', () => {
    const noTop = { predictions: [{ class: 'a', confidence: 0.9 }] };
    const multiWithTop = { ...multiLabel, top: 'dog' };
    expect(parseResponse(noTop)).toMatchObject({ ok: true, value: { multiLabel: false } });
    expect(parseResponse(multiWithTop)).toMatchObject({ ok: true, value: { multiLabel: true } });
  });

  it('accepts missing class_id and inference_id and keeps unknown fields', () => {
    const old = {
      time: 0.1,
      predictions: { cat: { confidence: 0.2 } },
      predicted_classes: [],
      visualization: null,
      extra: { nested: true },
    };
    const parsed = parseResponse(old);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.raw).toEqual(old);
    expect(parsed.value.scores).toEqual([['cat', 0.2]]);
  });

  it('accepts the "none passed" single-label answer', () => {
    const parsed = parseResponse({ time: 0.1, image: { width: 1, height: 1 }, predictions: [], top: '', confidence: 0 });
    expect(parsed).toMatchObject({ ok: true, value: { multiLabel: false, scores: [] } });
  });

  it('refuses bodies of neither shape with a reason', () => {
    for (const bad of [null, 'text', [1, 2], {}, { predictions: 'x' }, { predictions: [{ class: 'a' }] }, { predictions: { a: { score: 1 } } }]) {
      const parsed = parseResponse(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason.length).toBeGreaterThan(0);
    }
  });

  it('names an object-detection answer for what it is', () => {
    const parsed = parseResponse({ predictions: [{ x: 1, y: 2, width: 3, height: 4, class: 'a', confidence: 0.9 }] });
    expect(parsed).toMatchObject({ ok: false, reason: expect.stringContaining('object-detection') });
  });
});

describe('normaliseResponse', () => {
  it('gives scores of a valid body and no scores for an unrecognised one', () => {
    expect(normaliseResponse(singleLabel).scores[0]).toEqual(['10c', 0.3431]);
    expect(normaliseResponse({ nope: 1 })).toEqual({ multiLabel: false, scores: [] });
  });
});

describe('passingLabels', () => {
  it('single-label: the top class when it reaches the threshold, else none', () => {
    const n = normaliseResponse(singleLabel);
    expect(passingLabels(n, 0.3).classes).toEqual(['10c']);
    expect(passingLabels(n, 0.3431).classes).toEqual(['10c']);
    expect(passingLabels(n, 0.35)).toEqual({ multiLabel: false, classes: [], scored: [], best: ['10c', 0.3431] });
  });

  it('multi-label: every class at or above the threshold', () => {
    const n = normaliseResponse(multiLabel);
    expect(passingLabels(n, 0.5).classes).toEqual(['dog', 'cat']);
    expect(passingLabels(n, 0.882).classes).toEqual(['dog']);
    expect(passingLabels(n, 0.9).classes).toEqual([]);
  });

  it('takes scores and the shape flag directly too', () => {
    expect(passingLabels([['b', 0.2], ['a', 0.7]], false, 0.5).classes).toEqual(['a']);
    expect(passingLabels([['b', 0.6], ['a', 0.7]], true, 0.5).classes).toEqual(['a', 'b']);
    expect(passingLabels([], true, 0.5)).toEqual({ multiLabel: true, classes: [], scored: [], best: null });
  });
});

describe('errorBodyMessage', () => {
  it('reads every documented error body', () => {
    expect(errorBodyMessage({ message: 'Bad image', help_url: 'https://x', error_type: 'InvalidImage' })).toBe('Bad image');
    expect(errorBodyMessage('{"detail":[{"loc":["query","confidence"],"msg":"value is not a valid float"}]}')).toBe(
      'value is not a valid float',
    );
    expect(errorBodyMessage({ error: { message: 'This API key does not exist', status: 401 } })).toBe('This API key does not exist');
    expect(errorBodyMessage('<html>502 Bad Gateway</html>')).toBeUndefined();
    expect(errorBodyMessage({ other: 1 })).toBeUndefined();
  });
});

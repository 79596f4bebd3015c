import { describe, expect, it } from 'vitest';
import { fromBase64, packNumbers, portableToBase64, toBase64, unpackNumbers } from '../../app/packed-numbers';
import { decodeResults, encodeResults, packColumns } from '../../app/result-columns';
import type { ResultSummary } from '../../app/types';

/** A float32 softmax as an on-device model gives it, read back as doubles. */
const float32s = Array.from({ length: 5000 }, (_, i) => Math.fround(1 / (i + 3)));
/** Doubles with all their digits (a division, as the benchmark's seeded scores are made). */
const doubles = Array.from({ length: 5000 }, (_, i) => 1 / (i + 7) / 3);
/** What the Roboflow API sends: four decimals. */
const short = Array.from({ length: 5000 }, (_, i) => Math.round(((i * 37) % 10000)) / 10000);

describe('packed numbers', () => {
  it('give back the very same doubles, float32 values in 4 bytes and others in 8', () => {
    const f32 = packNumbers(float32s)!;
    expect(f32.bits).toBe(32);
    expect(Array.from(unpackNumbers(JSON.parse(JSON.stringify(f32))))).toEqual(float32s);
    const f64 = packNumbers(doubles)!;
    expect(f64.bits).toBe(64);
    expect(Array.from(unpackNumbers(JSON.parse(JSON.stringify(f64))))).toEqual(doubles);
    // Shorter than the JSON of the numbers, by far for float32s.
    expect(JSON.stringify(f32).length * 3).toBeLessThan(JSON.stringify(float32s).length);
    expect(JSON.stringify(f64).length).toBeLessThan(JSON.stringify(doubles).length * 0.75);
  });

  it('judge by every score of an image: long ones between short top scores are packed', () => {
    // Five scores an image, the top one short and four long, as the benchmark seeds them: a
    // sample taking every 125th value would see only the top ones.
    const mixed = Array.from({ length: 250_000 }, (_, i) => (i % 5 === 0 ? 0.3 + ((i * 37) % 70) / 100 : (1 - (0.3 + ((i * 37) % 70) / 100)) / 4));
    const packed = packNumbers(mixed)!;
    expect(packed.bits).toBe(64);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(mixed).length * 0.85);
    expect(Array.from(unpackNumbers(packed))).toEqual(mixed);
  });

  it('stay decimal where that is as short: short decimals, nothing, and the odd values a double can hold', () => {
    expect(packNumbers(short)).toBeNull();
    expect(packNumbers([])).toBeNull();
    const odd = [0, -0, 1, 1e-7, Number.MIN_VALUE, 0.1 + 0.2, ...doubles.slice(0, 50)];
    const packed = packNumbers(odd)!;
    const back = Array.from(unpackNumbers(packed));
    expect(back).toEqual(odd);
    expect(Object.is(back[1], -0)).toBe(true);
  });

  it('come back empty, never throwing, from text that is not base64, and whole values only from a cut one', () => {
    expect(unpackNumbers({ bits: 64, base64: '%%%not base64' })).toHaveLength(0);
    expect(unpackNumbers({ bits: 64, base64: 'AAAA' })).toHaveLength(0);
    const cut = packNumbers(doubles)!.base64.slice(0, 24);
    expect(Array.from(unpackNumbers({ bits: 64, base64: cut }))).toEqual(doubles.slice(0, 2));
  });
});

describe('base64', () => {
  it('is the same text from the fast encoder at hand and from btoa, at any length, and reads back', () => {
    let seed = 7;
    for (const length of [0, 1, 2, 3, 4, 5, 0x8000 - 1, 0x8000, 0x8000 * 3 + 2]) {
      const bytes = Uint8Array.from({ length }, () => (seed = (seed * 1103515245 + 12345) % 2147483648) & 255);
      const text = toBase64(bytes);
      expect(text).toBe(portableToBase64(bytes));
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(fromBase64(text))).toEqual(Array.from(bytes));
      // A view into a larger buffer encodes only its own bytes.
      if (length > 2) expect(toBase64(bytes.subarray(1, length - 1))).toBe(portableToBase64(bytes.subarray(1, length - 1)));
    }
  });
});

describe('result pages with packed confidences', () => {
  const summaries: ResultSummary[] = doubles.slice(0, 400).map((c, i) => ({
    id: `img${i}.jpg`,
    status: 'done',
    stale: i % 7 === 0,
    multiLabel: false,
    scores: [['cat', 1 - 3 * c], ['dog', c], ['owl', Math.fround(c / 3)]],
  }));

  it('decode to the same summaries as the decimal page, through JSON, in fewer bytes', () => {
    const plain = encodeResults(400, summaries);
    const packed = packColumns(plain);
    expect(packed.scoreConf).toEqual([]);
    expect(decodeResults(JSON.parse(JSON.stringify(packed)))).toEqual(summaries);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(plain).length * 0.8);
    // A page of short decimals stays as it is.
    const api = encodeResults(1, [{ id: 'a.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.3431], ['dog', 0.3393]] }]);
    expect(packColumns(api)).toEqual(api);
  });

  it('give a short packed column only the scores it holds, never an exception', () => {
    const page = packColumns(encodeResults(400, summaries));
    const cut = { ...page, scoreConfPacked: { bits: 64 as const, base64: page.scoreConfPacked!.base64.slice(0, 24) } };
    const decoded = decodeResults(cut);
    expect(decoded).toHaveLength(400);
    expect(decoded[0].scores.map(([, c]) => c)).toEqual(summaries[0].scores.slice(0, 2).map(([, c]) => c));
    expect(decoded[1].scores).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { bytesOf, fromBase64, narrowestKind, numbersFromBytes, numbersOf, packedOrPlain, packNumbers, portableToBase64, toBase64, unpackNumbers, type PackedNumbers } from '../../app/packed-numbers';
import { encodeResults, packColumns } from '../../app/result-columns';
import { decodeResults } from '../support/decode-results';
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
    expect(f32.kind).toBe('f32');
    expect(Array.from(unpackNumbers(JSON.parse(JSON.stringify(f32))))).toEqual(float32s);
    const f64 = packNumbers(doubles)!;
    expect(f64.kind).toBe('f64');
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
    expect(packed.kind).toBe('f64');
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(mixed).length * 0.85);
    expect(Array.from(unpackNumbers(packed))).toEqual(mixed);
  });

  it('carry four-decimal confidences (as the API sends them) in 2 bytes each, as the very doubles JSON gives', () => {
    const packed = packNumbers(short)!;
    expect(packed.kind).toBe('e4');
    expect(Array.from(unpackNumbers(JSON.parse(JSON.stringify(packed))))).toEqual(short);
    expect(JSON.stringify(packed).length * 2.5).toBeLessThan(JSON.stringify(short).length);
    // Every four-decimal value there is, as the JSON text of a response would give it.
    const all = Array.from({ length: 10_001 }, (_, k) => JSON.parse((k / 1e4).toFixed(4)) as number);
    const back = Array.from(unpackNumbers(packNumbers(all)!));
    expect(back.every((v, k) => Object.is(v, all[k]))).toBe(true);
    // One value with a fifth decimal, or a -0, and the list is carried some other exact way.
    for (const odd of [0.12345, -0]) {
      const mixed = [...short.slice(0, 999), odd];
      const other = packedOrPlain(mixed);
      expect(Array.isArray(other) ? 'plain' : other.kind).not.toBe('e4');
      expect(Array.from(numbersOf(other)).every((v, k) => Object.is(v, mixed[k]))).toBe(true);
    }
  });

  it('carry counts, class indices and flags as unsigned integers of the narrowest width', () => {
    const cases: Array<[number[], string]> = [
      [Array.from({ length: 3000 }, (_, i) => i % 256), 'u8'],
      [Array.from({ length: 3000 }, (_, i) => (i * 97) % 65536), 'u16'],
      [Array.from({ length: 3000 }, (_, i) => 4294967295 - i * 1000003), 'u32'],
    ];
    for (const [values, kind] of cases) {
      const packed = packNumbers(values)!;
      expect(packed.kind).toBe(kind);
      expect(Array.from(numbersOf(JSON.parse(JSON.stringify(packed))))).toEqual(values);
    }
    // Past 32 bits, or negative: not unsigned integers, still exact.
    for (const values of [[2 ** 40 + 1, ...cases[2][0]], [-1, ...cases[0][0]]]) {
      expect(Array.from(numbersOf(packedOrPlain(values)))).toEqual(values);
    }
  });

  it('stay decimal where that is as short: five decimals, a few values, nothing, and the odd values a double can hold', () => {
    const five = Array.from({ length: 5000 }, (_, i) => 0.10001 + ((i * 37) % 9000) / 1e5);
    expect(packNumbers(five)).toBeNull();
    expect(packNumbers([0, 3, 1])).toBeNull();
    expect(packedOrPlain([0.3431, 0.3393])).toEqual([0.3431, 0.3393]);
    expect(packNumbers([])).toBeNull();
    const odd = [0, -0, 1, 1e-7, Number.MIN_VALUE, 0.1 + 0.2, ...doubles.slice(0, 50)];
    const packed = packNumbers(odd)!;
    const back = Array.from(unpackNumbers(packed));
    expect(back).toEqual(odd);
    expect(Object.is(back[1], -0)).toBe(true);
  });

  it('come back empty, never throwing, from text that is not base64, and whole values only from a cut one', () => {
    expect(unpackNumbers({ kind: 'f64', base64: '%%%not base64' })).toHaveLength(0);
    expect(unpackNumbers({ kind: 'f64', base64: 'AAAA' })).toHaveLength(0);
    expect(unpackNumbers({ kind: 'f16' as never, base64: 'AAAA' })).toHaveLength(0);
    const cut = packNumbers(doubles)!.base64.slice(0, 24);
    expect(Array.from(unpackNumbers({ kind: 'f64', base64: cut }))).toEqual(doubles.slice(0, 2));
    const cutShort = packNumbers(short)!.base64.slice(0, 8);
    expect(Array.from(unpackNumbers({ kind: 'e4', base64: cutShort }))).toEqual(short.slice(0, 3));
  });
});

describe('packed bytes', () => {
  it('read back from anywhere in a larger buffer, as a file read gives them', () => {
    for (const values of [float32s, doubles, short, Array.from({ length: 300 }, (_, i) => i * 1000)]) {
      const kind = narrowestKind(values);
      const bytes = bytesOf(kind, values);
      // One byte into a Node Buffer (whose slice() is a view, not a copy).
      const file = Buffer.concat([Buffer.from([7]), bytes]);
      expect(Array.from(numbersFromBytes(kind, file.subarray(1)))).toEqual(values);
    }
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
    expect((packed.scoreConf as PackedNumbers).kind).toBe('f64');
    expect(decodeResults(JSON.parse(JSON.stringify(packed)))).toEqual(summaries);
    expect(JSON.stringify(packed).length).toBeLessThan(JSON.stringify(plain).length * 0.8);
    // A page of a few results stays as it is.
    const api = encodeResults(1, [{ id: 'a.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.3431], ['dog', 0.3393]] }]);
    expect(packColumns(api)).toEqual(api);
  });

  it('carry a page of API results (four decimals, five classes) in under half the characters', () => {
    const names = ['cat', 'dog', 'owl', 'fox', 'bee'];
    const api: ResultSummary[] = Array.from({ length: 2000 }, (_, i) => {
      const top = (30 + ((i * 37) % 70)) / 100;
      const rest = Math.round(((1 - top) / 4) * 1e4) / 1e4;
      const scores = names.map((name, k) => [name, k === 0 ? top : rest] as [string, number]);
      return { id: `d${String(i >> 8).padStart(3, '0')}/img_${String(i).padStart(6, '0')}.jpg`, status: i % 50 ? 'done' : 'error', stale: i % 9 === 0, multiLabel: false, scores: i % 50 ? scores : [] };
    });
    const plain = encodeResults(api.length, api);
    const packed = packColumns(plain);
    for (const column of [packed.flags, packed.scoreCount, packed.scoreClass, packed.scoreConf]) expect(Array.isArray(column)).toBe(false);
    expect(decodeResults(JSON.parse(JSON.stringify(packed)))).toEqual(api);
    expect(JSON.stringify(packed).length * 2).toBeLessThan(JSON.stringify(plain).length);
  });

  it('give a short packed column only the scores it holds, never an exception', () => {
    const page = packColumns(encodeResults(400, summaries));
    const cut = { ...page, scoreConf: { kind: 'f64' as const, base64: (page.scoreConf as PackedNumbers).base64.slice(0, 24) } };
    const decoded = decodeResults(cut);
    expect(decoded).toHaveLength(400);
    expect(decoded[0].scores.map(([, c]) => c)).toEqual(summaries[0].scores.slice(0, 2).map(([, c]) => c));
    expect(decoded[1].scores).toEqual([]);
  });
});

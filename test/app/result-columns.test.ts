import { describe, expect, it } from 'vitest';
import { encodeResults } from '../../app/result-columns';
import { decodeResults } from '../support/decode-results';
import type { ResultSummary } from '../../app/types';

const odd = ['a,b', 'line\nbreak', 'quote"d', 'émoji 🐈', '猫', ' ', '\t\\'];

const summaries: ResultSummary[] = [
  { id: 'cats/1.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.9], ['dog', 0.1]] },
  { id: 'multi/2.jpg', status: 'done', stale: true, multiLabel: true, scores: [['dog', 0.8], ['cat', 0.7], ['owl', 0.05]] },
  { id: 'bad/3.jpg', status: 'error', stale: false, multiLabel: false, scores: [], error: { code: 'server', message: 'Server error 500, try again' } },
  { id: 'odd,name\nwith newline/é 🐈.jpg', status: 'done', stale: false, multiLabel: true, scores: odd.map((name, i) => [name, 1 / (i + 3)] as [string, number]) },
  { id: 'empty/4.jpg', status: 'done', stale: true, multiLabel: false, scores: [] },
  { id: 'stale-error/5.jpg', status: 'error', stale: true, multiLabel: false, scores: [], error: { code: 'bad_response', message: 'The stored response could not be read; run the image again.' } },
  { id: 'https://example.com/web.jpg', status: 'done', stale: false, multiLabel: false, scores: [['cat', 0.30000000000000004], ['dog', 1e-7]] },
];

describe('result columns', () => {
  it('give back every summary as it was: status, stale, multi-label, scores in order, errors', () => {
    const page = encodeResults(42, summaries);
    expect(page.total).toBe(42);
    expect(decodeResults(page)).toEqual(summaries);
  });

  it('survive the JSON the IPC and the browser host send them through', () => {
    expect(decodeResults(JSON.parse(JSON.stringify(encodeResults(7, summaries))))).toEqual(summaries);
  });

  it('name each class once per page and carry errors only where there are some', () => {
    const page = encodeResults(2, summaries);
    expect(page.classes.filter((name) => name === 'cat')).toHaveLength(1);
    expect(new Set(page.classes).size).toBe(page.classes.length);
    expect(page.errors.map(([index]) => index)).toEqual([2, 5]);
  });

  it('decode an empty page', () => {
    expect(decodeResults(encodeResults(0, []))).toEqual([]);
  });

  it('give what a damaged page does say, without throwing', () => {
    const page = encodeResults(3, summaries.slice(0, 2));
    page.scoreClass[0] = 99;
    page.flags.pop();
    const decoded = decodeResults(page);
    expect(decoded).toHaveLength(1);
    expect(decoded[0].scores).toEqual([['dog', 0.1]]);
  });
});

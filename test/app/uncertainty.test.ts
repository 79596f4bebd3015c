import { describe, expect, it } from 'vitest';
import { uncertaintyOf } from '../../app/uncertainty';

describe('uncertaintyOf', () => {
  it('gives the top-1 − top-2 margin and the entropy over log(K) for single-label scores', () => {
    // p = 0.5, 0.25, 0.25: H = 0.5 ln 2 + 2 · 0.25 ln 4 = 1.5 ln 2; / ln 3 = 0.946395...
    const u = uncertaintyOf([['a', 0.5], ['b', 0.25], ['c', 0.25]], false, 0.5)!;
    expect(u.margin).toBeCloseTo(0.25, 12);
    expect(u.entropy).toBeCloseTo((1.5 * Math.log(2)) / Math.log(3), 12);
    expect(u.entropy).toBeCloseTo(0.946395, 5);
  });
  it('normalises scores that do not sum to 1 and ignores their order', () => {
    // 0.2 and 0.2 → p = ½, ½: entropy 1; margin 0.
    expect(uncertaintyOf([['a', 0.2], ['b', 0.2]], false, 0.5)).toEqual({ margin: 0, entropy: 1 });
    const u = uncertaintyOf([['b', 0.1], ['a', 0.9]], false, 0.5)!;
    expect(u.margin).toBeCloseTo(0.8, 12);
    // H(0.9, 0.1) / ln 2 = 0.468996 bits
    expect(u.entropy).toBeCloseTo(0.468996, 5);
  });
  it('is certain for a lone score or a one-hot result', () => {
    expect(uncertaintyOf([['a', 0.7]], false, 0.5)).toEqual({ margin: 0.7, entropy: 0 });
    expect(uncertaintyOf([['a', 1], ['b', 0]], false, 0.5)).toEqual({ margin: 1, entropy: 0 });
  });
  it('measures multi-label scores against the threshold and by mean binary entropy', () => {
    // |0.9−0.5| = 0.4, |0.45−0.5| = 0.05 → margin 0.05; H2(0.9) = 0.468996, H2(0.45) = 0.992774 → mean 0.730885
    const u = uncertaintyOf([['a', 0.9], ['b', 0.45]], true, 0.5)!;
    expect(u.margin).toBeCloseTo(0.05, 12);
    expect(u.entropy).toBeCloseTo(0.730885, 5);
    // The threshold moves the margin, not the entropy.
    expect(uncertaintyOf([['a', 0.9], ['b', 0.45]], true, 0.8)!.margin).toBeCloseTo(0.1, 12);
    expect(uncertaintyOf([['a', 0.9], ['b', 0.45]], true, 0.8)!.entropy).toBeCloseTo(0.730885, 5);
  });
  it('has nothing to say without scores', () => {
    expect(uncertaintyOf([], false, 0.5)).toBeNull();
    expect(uncertaintyOf([], true, 0.5)).toBeNull();
  });
});

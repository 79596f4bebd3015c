import { describe, expect, it } from 'vitest';
import { computeLayout, moveIndex, scrollToReveal, thumbBucket, visibleRows } from '../../app/grid-layout';

describe('computeLayout', () => {
  it('fits as many columns as the width allows and stretches tiles to fill it', () => {
    const layout = computeLayout(1000, 50_000, 176, 4);
    expect(layout.columns).toBe(5);
    expect(layout.tile * 5 + 4 * 4).toBeLessThanOrEqual(1000);
    expect(layout.tile).toBeGreaterThanOrEqual(176);
    expect(layout.rows).toBe(10_000);
    expect(layout.totalHeight).toBe(10_000 * layout.rowHeight - 4);
  });

  it('keeps one column in a narrow window and handles an empty folder', () => {
    expect(computeLayout(50, 3, 176, 4).columns).toBe(1);
    const empty = computeLayout(800, 0, 176, 4);
    expect(empty.rows).toBe(0);
    expect(empty.totalHeight).toBe(0);
  });
});

describe('visibleRows', () => {
  const layout = computeLayout(1000, 50_000, 176, 4);
  it('renders only the rows in view plus the overscan', () => {
    const { first, last } = visibleRows(layout, layout.rowHeight * 100 + 10, 800, 2);
    expect(first).toBe(98);
    expect(last - first).toBeLessThan(12);
    expect(last).toBeGreaterThan(100 + 800 / layout.rowHeight);
  });
  it('clamps at both ends', () => {
    expect(visibleRows(layout, -50, 800, 3).first).toBe(0);
    expect(visibleRows(layout, layout.totalHeight, 800, 3).last).toBe(layout.rows);
    expect(visibleRows(computeLayout(1000, 0, 176, 4), 0, 800, 3)).toEqual({ first: 0, last: 0 });
  });
});

describe('thumbBucket', () => {
  it('picks the smallest bucket covering the device pixels', () => {
    expect(thumbBucket(100, 1)).toBe(128);
    expect(thumbBucket(176, 1)).toBe(256);
    expect(thumbBucket(176, 2)).toBe(512);
    expect(thumbBucket(400, 3)).toBe(512);
    expect(thumbBucket(120, 0)).toBe(128);
  });
});

describe('moveIndex', () => {
  it('moves by one, by a row, by a page and to the ends without leaving the list', () => {
    expect(moveIndex(0, 'ArrowLeft', 5, 23, 3)).toBe(0);
    expect(moveIndex(0, 'ArrowRight', 5, 23, 3)).toBe(1);
    expect(moveIndex(22, 'ArrowRight', 5, 23, 3)).toBe(22);
    expect(moveIndex(7, 'ArrowDown', 5, 23, 3)).toBe(12);
    expect(moveIndex(19, 'ArrowDown', 5, 23, 3)).toBe(19);
    expect(moveIndex(3, 'ArrowUp', 5, 23, 3)).toBe(3);
    expect(moveIndex(8, 'ArrowUp', 5, 23, 3)).toBe(3);
    expect(moveIndex(8, 'Home', 5, 23, 3)).toBe(0);
    expect(moveIndex(8, 'End', 5, 23, 3)).toBe(22);
    expect(moveIndex(1, 'PageDown', 5, 23, 3)).toBe(16);
    expect(moveIndex(16, 'PageDown', 5, 23, 3)).toBe(22);
    expect(moveIndex(16, 'PageUp', 5, 23, 3)).toBe(1);
    expect(moveIndex(0, 'End', 5, 0, 3)).toBe(-1);
  });
});

describe('scrollToReveal', () => {
  const layout = computeLayout(1000, 1000, 176, 4);
  it('scrolls just enough to show a row above or below the viewport', () => {
    expect(scrollToReveal(layout, 0, 0, 600)).toBeNull();
    expect(scrollToReveal(layout, 10, 0, 600)).toBe(10 * layout.rowHeight + layout.tile - 600);
    expect(scrollToReveal(layout, 2, 5 * layout.rowHeight, 600)).toBe(2 * layout.rowHeight);
  });
});

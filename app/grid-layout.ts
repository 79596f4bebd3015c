// Virtualization math for the thumbnail grid: pure functions of sizes and counts, so the grid
// component only renders what these say is visible.

export interface GridLayout {
  columns: number;
  rows: number;
  /** Width and height of one square tile in CSS px (stretched to fill the width). */
  tile: number;
  gap: number;
  /** Distance from one row's top to the next. */
  rowHeight: number;
  /** Height of the whole scrollable content. */
  totalHeight: number;
}

/** Lays `count` square tiles of about `tileSize` px into `width` px; never fewer than one column. */
export function computeLayout(width: number, count: number, tileSize: number, gap: number): GridLayout {
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + gap) / (tileSize + gap)));
  const tile = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns)) || tileSize;
  const rows = Math.ceil(Math.max(0, count) / columns);
  const rowHeight = tile + gap;
  const totalHeight = rows === 0 ? 0 : rows * rowHeight - gap;
  return { columns, rows, tile, gap, rowHeight, totalHeight };
}

/** The half-open range of rows to render for a viewport, with `overscan` extra rows each side. */
export function visibleRows(
  layout: GridLayout,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): { first: number; last: number } {
  if (layout.rows === 0) return { first: 0, last: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.max(0, Math.floor(top / layout.rowHeight) - overscan);
  const last = Math.min(layout.rows, Math.ceil((top + Math.max(0, viewportHeight)) / layout.rowHeight) + overscan);
  return { first, last: Math.max(first, last) };
}

const buckets = [128, 256, 512] as const;

/** The thumbnail size to request for a tile: the smallest bucket covering its device pixels. */
export function thumbBucket(cssPx: number, devicePixelRatio: number): 128 | 256 | 512 {
  const needed = Math.round(cssPx * (devicePixelRatio > 0 ? devicePixelRatio : 1));
  return buckets.find((bucket) => bucket >= needed) ?? 512;
}

export type GridKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End' | 'PageUp' | 'PageDown';

/** Where focus goes from `index` on a navigation key; stays inside 0..count-1. */
export function moveIndex(index: number, key: GridKey, columns: number, count: number, pageRows: number): number {
  if (count <= 0) return -1;
  const clamp = (value: number) => Math.min(count - 1, Math.max(0, value));
  const page = Math.max(1, pageRows) * columns;
  switch (key) {
    case 'ArrowLeft':
      return clamp(index - 1);
    case 'ArrowRight':
      return clamp(index + 1);
    case 'ArrowUp':
      return index - columns >= 0 ? index - columns : clamp(index);
    case 'ArrowDown':
      return index + columns < count ? index + columns : clamp(index);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    case 'PageUp':
      return clamp(index - page);
    case 'PageDown':
      return clamp(index + page);
  }
}

/** The scrollTop that brings row `row` fully into view, or null when it already is. */
export function scrollToReveal(layout: GridLayout, row: number, scrollTop: number, viewportHeight: number): number | null {
  const top = row * layout.rowHeight;
  const bottom = top + layout.tile;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return null;
}

import { formatPercentTenths, plural } from '../../../../app/format';

// Metrics read better with one decimal (87.5 %) than the whole-percent confidences; an undefined
// ratio (0 / 0) is a dash, never a made-up 0.

/** A ratio 0..1 as "87.5%", or "–" when it is undefined. */
export function formatRatio(value: number | null): string {
  if (value === null || Number.isNaN(value)) return '–';
  return formatPercentTenths(value);
}

/** The accessible name of a confusion-matrix cell. */
export function cellName(truth: string, predicted: string | null, count: number): string {
  return `true ${truth}, ${predicted === null ? 'no prediction' : `predicted ${predicted}`}: ${plural(count, 'image')}`;
}

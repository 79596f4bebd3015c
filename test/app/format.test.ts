import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatPercent, formatPercentTenths, formatRate, plural } from '../../app/format';

describe('format', () => {
  it('formats counts, percentages, durations, sizes and rates for people', () => {
    expect(formatCount(12408)).toBe('12,408');
    expect(formatCount(50_000)).toBe('50,000');
    expect(formatPercent(0.934)).toBe('93%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0.001)).toBe('<1%');
    expect(formatPercent(0.998)).toBe('>99%');
    expect(formatPercentTenths(0.875)).toBe('87.5%');
    expect(formatPercentTenths(1)).toBe('100.0%');
    expect(formatDuration(78)).toBe('1:18');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(-3)).toBe('0:00');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(900)).toBe('900 bytes');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatRate(41.3)).toBe('41 img/s');
    expect(formatRate(2.25)).toBe('2.3 img/s');
    expect(formatRate(Number.NaN)).toBe('0 img/s');
    expect(plural(1, 'image')).toBe('1 image');
    expect(plural(12408, 'image')).toBe('12,408 images');
  });
});

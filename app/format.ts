// Numbers and durations formatted for people (UI.md: "12,408; 93 %; 1:18 left").

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: 12408 -> "12,408". */
export function formatCount(value: number): string {
  return integer.format(Math.round(value));
}

/** A confidence 0..1 as a whole percentage: 0.934 -> "93%"; values that round to 0 or 100 but are not stay honest ("<1%", ">99%"). */
export function formatPercent(value: number): string {
  const pct = value * 100;
  if (pct > 0 && pct < 0.5) return '<1%';
  if (pct < 100 && pct >= 99.5) return '>99%';
  return `${Math.round(pct)}%`;
}

/** A ratio 0..1 with one decimal, for metrics and captions: 0.875 -> "87.5%". */
export function formatPercentTenths(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** Seconds as "m:ss" or "h:mm:ss": 78 -> "1:18". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A byte size in the largest sensible unit: 1536 -> "1.5 KB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${formatCount(value)} ${value === 1 ? 'byte' : 'bytes'}`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** A throughput: 41.3 -> "41 img/s"; small rates keep one decimal. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '0 img/s';
  return perSecond < 10 ? `${perSecond.toFixed(1)} img/s` : `${formatCount(perSecond)} img/s`;
}

/** "1 image" / "12,408 images". */
export function plural(count: number, one: string, many: string = `${one}s`): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}

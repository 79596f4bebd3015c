// One stable, colour-blind-safe colour per class: the Okabe–Ito palette first (black left out, it
// vanishes in the dark theme), then evenly spread hues for models with more classes.

/** Okabe–Ito without black, in the order that keeps neighbours distinct. */
export const okabeIto = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'] as const;

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`.toUpperCase();
}

/** The colour for the class at position `index` of the sorted class list (palette, then generated). */
export function colorAt(index: number): string {
  if (index < okabeIto.length) return okabeIto[index];
  const n = index - okabeIto.length;
  // Golden-angle hue steps spread any number of classes; alternating lightness separates neighbours.
  const hue = (n * 137.508 + 20) % 360;
  const lightness = n % 2 === 0 ? 0.45 : 0.62;
  return hslToHex(hue, 0.65, lightness);
}

// Classes named after a colour get the palette entry that looks like it, so "red" is not drawn green.
const namedColours: Record<string, number> = {
  orange: 0,
  sky: 1,
  skyblue: 1,
  cyan: 1,
  teal: 2,
  green: 2,
  yellow: 3,
  blue: 4,
  red: 5,
  vermillion: 5,
  purple: 6,
  pink: 6,
  magenta: 6,
  violet: 6,
  grey: 7,
  gray: 7,
};

/** Maps each class name to its colour; the same set of names always gets the same colours. */
export function classColors(classNames: Iterable<string>): Map<string, string> {
  const sorted = [...new Set(classNames)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = new Map<string, string>();
  const used = new Set<number>();
  for (const name of sorted) {
    const slot = namedColours[name.toLowerCase().replace(/[\s_-]+/g, '')];
    if (slot !== undefined && !used.has(slot)) {
      used.add(slot);
      out.set(name, okabeIto[slot]);
    }
  }
  let next = 0;
  for (const name of sorted) {
    if (out.has(name)) continue;
    while (used.has(next)) next += 1;
    out.set(name, colorAt(next));
    used.add(next);
  }
  // Keep the sorted order of the names (callers list classes in this order).
  return new Map(sorted.map((name) => [name, out.get(name)!]));
}

/** The colour of a class missing from `colors` (a neutral grey that textOn can read). */
export const unknownClassColor = '#999999';

/** A class's colour from a classColors map, grey when the class is not in it. */
export function colorOf(colors: ReadonlyMap<string, string>, name: string): string {
  return colors.get(name) ?? unknownClassColor;
}

/** Black or white, whichever reads better on the given #RRGGBB background. */
export function textOn(background: string): '#000000' | '#FFFFFF' {
  const hex = /^#?([0-9a-f]{6})$/i.exec(background)?.[1];
  if (!hex) return '#000000';
  const linear = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  // Contrast against black vs white: (L + 0.05) / 0.05 vs 1.05 / (L + 0.05).
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? '#000000' : '#FFFFFF';
}

// Roboflow Inference's contrast preprocessing on interleaved RGB bytes, step for step, so a model
// trained on contrast-adjusted pictures sees the same pixels on this computer:
// - "Contrast Stretching": skimage's rescale_intensity between the 2nd and 98th percentiles of all
//   samples (numpy's linear-interpolated percentile), values truncated to bytes as numpy's cast does;
// - "Histogram Equalization": OpenCV's BGR2GRAY (fixed point, 14 bits) then equalizeHist, and back to
//   three equal channels (the picture comes out grey, as on Roboflow's servers).
// "Adaptive Equalization" (CLAHE) is not done here: environment.ts refuses such a model by name.

export type ContrastMode = 'stretch' | 'equalize';

/** numpy.percentile(values, q) with the default linear interpolation, from a 256-bin histogram. */
export function percentileOf(hist: ArrayLike<number>, total: number, q: number): number {
  const rank = (q / 100) * (total - 1);
  const lo = Math.floor(rank);
  const at = (k: number): number => {
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += hist[v];
      if (seen > k) return v;
    }
    return 255;
  };
  const a = at(lo);
  const b = lo + 1 < total ? at(lo + 1) : a;
  return a + (rank - lo) * (b - a);
}

/** Stretches the 2nd-98th percentile range of every sample to 0-255, in place. */
export function stretchContrast(rgb: Uint8Array): Uint8Array {
  const hist = new Array<number>(256).fill(0);
  for (const v of rgb) hist[v]++;
  const low = percentileOf(hist, rgb.length, 2);
  const high = percentileOf(hist, rgb.length, 98);
  // skimage leaves the picture as it is when the range is empty (one colour).
  if (low === high) return rgb;
  for (let i = 0; i < rgb.length; i++) {
    const v = Math.min(high, Math.max(low, rgb[i]));
    rgb[i] = Math.trunc(((v - low) / (high - low)) * 255);
  }
  return rgb;
}

/** OpenCV's BGR2GRAY for 8-bit pixels: 0.299 R + 0.587 G + 0.114 B in 14-bit fixed point. */
export function grayOf(r: number, g: number, b: number): number {
  return (r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14;
}

/** cvRound: to nearest, ties to even. */
const roundEven = (x: number): number => {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

/** Grey, histogram-equalised as cv2.equalizeHist does, written back as three equal channels, in place. */
export function equalizeHistogram(rgb: Uint8Array): Uint8Array {
  const pixels = rgb.length / 3;
  const gray = new Uint8Array(pixels);
  const hist = new Array<number>(256).fill(0);
  for (let p = 0; p < pixels; p++) {
    const g = grayOf(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2]);
    gray[p] = g;
    hist[g]++;
  }
  let first = 0;
  while (first < 255 && hist[first] === 0) first++;
  const lut = new Uint8Array(256);
  if (hist[first] === pixels) {
    lut.fill(first);
  } else {
    // OpenCV computes in float32: scale = 255.f / (total - hist[first]), lut = saturate(sum * scale).
    const scale = Math.fround(255 / (pixels - hist[first]));
    let sum = 0;
    for (let v = first + 1; v < 256; v++) {
      sum += hist[v];
      lut[v] = Math.min(255, roundEven(Math.fround(sum * scale)));
    }
  }
  for (let p = 0; p < pixels; p++) rgb.fill(lut[gray[p]], p * 3, p * 3 + 3);
  return rgb;
}

export function applyContrast(rgb: Uint8Array, mode: ContrastMode): Uint8Array {
  return mode === 'stretch' ? stretchContrast(rgb) : equalizeHistogram(rgb);
}

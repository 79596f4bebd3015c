import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classesOf, normalisationFor, parseEnvironment, targetSize, type PreprocessSpec } from '../../../../main/services/on-device/environment';
import { preprocess } from '../../../../main/services/on-device/preprocess';
import { equalizeHistogram, grayOf, percentileOf, stretchContrast } from '../../../../main/services/on-device/contrast';

// Every preprocessing mode against values computed by hand: solid colours survive any resize
// exactly, so each plane's pixels are known.

const half = normalisationFor('vit');
const size = { width: 8, height: 8 };
const grey = (114 / 255 - 0.5) / 0.5;

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => ({
  autoOrient: false,
  grayscale: false,
  staticCrop: null,
  contrast: null,
  resize: { mode: 'stretch', pad: 0, width: null, height: null },
  ...over,
});

/** A w×h PNG: `left` colour on the left `split` fraction of the columns, `right` on the rest. */
async function png(w: number, h: number, left: [number, number, number], right = left, split = 1, orientation?: number): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(x < w * split ? left : right, (y * w + x) * 3);
  const img = sharp(raw, { raw: { width: w, height: h, channels: 3 } });
  return orientation ? img.jpeg({ quality: 100 }).withMetadata({ orientation }).toBuffer() : img.png().toBuffer();
}

/** Plane c as rows of rounded values. */
function plane(data: Float32Array, c: number, w = 8, h = 8): number[][] {
  const rows: number[][] = [];
  for (let y = 0; y < h; y++) rows.push(Array.from(data.subarray(c * w * h + y * w, c * w * h + (y + 1) * w), (v) => Math.round(v * 1000) / 1000));
  return rows;
}
const rows = (h: number, value: number, w = 8) => Array.from({ length: h }, () => Array(w).fill(value));
const r3 = (x: number) => Math.round(x * 1000) / 1000;

describe('environment.json', () => {
  it('reads CLASS_MAP in numeric key order and PREPROCESSING given as a JSON string with string numbers', () => {
    const classMap = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i), `c${i}`]));
    expect(classesOf(classMap)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10']);
    const env = parseEnvironment({
      CLASS_MAP: { '1': 'dog', '0': 'cat' },
      PREPROCESSING: '{"auto-orient":{"enabled":true},"resize":{"enabled":true,"format":"Fit (grey edges) in","width":"320","height":"240"},"static-crop":{"enabled":true,"x_min":"10","y_min":5,"x_max":90,"y_max":"95"}}',
      MULTICLASS: true,
    });
    expect(env).toEqual({
      classes: ['cat', 'dog'],
      multiLabel: true,
      preprocess: { autoOrient: true, grayscale: false, staticCrop: { xMin: 10, yMin: 5, xMax: 90, yMax: 95 }, contrast: null, resize: { mode: 'letterbox', pad: 114, width: 320, height: 240 } },
    });
  });

  it('maps every resize format: stretch, black/white/grey letterbox, other fit modes black, none stretch', () => {
    const resize = (format?: string) => parseEnvironment({ CLASS_MAP: { '0': 'a' }, PREPROCESSING: format ? { resize: { enabled: true, format } } : {} }).preprocess.resize;
    expect(resize('Stretch to')).toMatchObject({ mode: 'stretch' });
    expect(resize('Fit (black edges) in')).toMatchObject({ mode: 'letterbox', pad: 0 });
    expect(resize('Fit (white edges) in')).toMatchObject({ mode: 'letterbox', pad: 255 });
    expect(resize('Fit (grey edges) in')).toMatchObject({ mode: 'letterbox', pad: 114 });
    expect(resize('Fit within')).toMatchObject({ mode: 'letterbox', pad: 0 });
    expect(resize()).toMatchObject({ mode: 'stretch', width: null, height: null });
  });

  it('takes the size from a fixed ONNX input, else the resize setting, else 640', () => {
    const resize = { mode: 'stretch' as const, pad: 0, width: 320, height: 240 };
    expect(targetSize([1, 3, 224, 224], resize)).toEqual({ width: 224, height: 224 });
    expect(targetSize(['N', 3, 'H', 'W'], resize)).toEqual({ width: 320, height: 240 });
    expect(targetSize(['N', 3, 'H', 'W'], { ...resize, width: null, height: null })).toEqual({ width: 640, height: 640 });
  });

  it('normalises with 0.5/0.5 for ViT and YOLO, ImageNet statistics for ResNet and DINOv3', () => {
    expect(normalisationFor('vit').mean).toEqual([0.5, 0.5, 0.5]);
    expect(normalisationFor('yolov8n').std).toEqual([0.5, 0.5, 0.5]);
    expect(normalisationFor('yolo11s').mean).toEqual([0.5, 0.5, 0.5]);
    expect(normalisationFor('resnet18').mean).toEqual([0.485, 0.456, 0.406]);
    expect(normalisationFor('dinov3-small').std).toEqual([0.229, 0.224, 0.225]);
  });
});

describe('preprocess', () => {
  it('stretch: a red picture is R = 1, G = B = -1 everywhere, in RGB plane order', async () => {
    const out = await preprocess(await png(40, 20, [255, 0, 0]), spec(), size, half);
    expect(out.image).toEqual({ width: 40, height: 20 });
    expect(out.data.length).toBe(3 * 64);
    expect(plane(out.data, 0)).toEqual(rows(8, 1));
    expect(plane(out.data, 1)).toEqual(rows(8, -1));
    expect(plane(out.data, 2)).toEqual(rows(8, -1));
  });

  it('ImageNet normalisation: (x/255 - mean) / std per channel', async () => {
    const out = await preprocess(await png(4, 4, [255, 0, 0]), spec(), size, normalisationFor('resnet18'));
    expect(plane(out.data, 0)[0][0]).toBe(r3((1 - 0.485) / 0.229));
    expect(plane(out.data, 1)[0][0]).toBe(r3(-0.456 / 0.224));
    expect(plane(out.data, 2)[0][0]).toBe(r3(-0.406 / 0.225));
  });

  for (const [name, pad, value] of [
    ['black', 0, -1],
    ['white', 255, 1],
    ['grey', 114, grey],
  ] as const) {
    it(`letterbox with ${name} edges: a 2:1 picture fills rows 2-5 of 8, the rest is ${name}`, async () => {
      const out = await preprocess(await png(40, 20, [255, 0, 0]), spec({ resize: { mode: 'letterbox', pad, width: null, height: null } }), size, half);
      const band = (inside: number) => [...rows(2, r3(value)), ...rows(4, inside), ...rows(2, r3(value))];
      expect(plane(out.data, 0)).toEqual(band(1));
      expect(plane(out.data, 1)).toEqual(band(-1));
      expect(plane(out.data, 2)).toEqual(band(-1));
    });
  }

  it('static crop cuts the percent box before the resize', async () => {
    // Left 50 % red, right 50 % blue; the crop keeps x 0-50 %: only red is left.
    const bytes = await png(40, 20, [255, 0, 0], [0, 0, 255], 0.5);
    const cropped = await preprocess(bytes, spec({ staticCrop: { xMin: 0, yMin: 0, xMax: 50, yMax: 100 } }), size, half);
    expect(plane(cropped.data, 0)).toEqual(rows(8, 1));
    expect(plane(cropped.data, 2)).toEqual(rows(8, -1));
    const whole = await preprocess(bytes, spec(), size, half);
    expect(plane(whole.data, 2)[0][7]).toBe(1);
  });

  it('auto-orient turns an EXIF-rotated picture upright only when the model asks for it', async () => {
    // Stored 20×40 with red on the left, blue on the right; orientation 6 = turn 90° clockwise to show,
    // which puts red on top and blue at the bottom of a 40×20 picture.
    const bytes = await png(20, 40, [255, 0, 0], [0, 0, 255], 0.5, 6);
    const upright = await preprocess(bytes, spec({ autoOrient: true }), size, half);
    expect(upright.image).toEqual({ width: 40, height: 20 });
    const red = plane(upright.data, 0);
    expect(red[0][0]).toBeGreaterThan(0.9);
    expect(red[7][0]).toBeLessThan(-0.9);
    const stored = await preprocess(bytes, spec(), size, half);
    expect(stored.image).toEqual({ width: 20, height: 40 });
    const redStored = plane(stored.data, 0);
    expect(redStored[0][0]).toBeGreaterThan(0.9);
    expect(redStored[0][7]).toBeLessThan(-0.9);
  });

  it('grayscale gives three equal planes', async () => {
    const out = await preprocess(await png(8, 8, [255, 0, 0]), spec({ grayscale: true }), size, half);
    expect(plane(out.data, 0)).toEqual(plane(out.data, 1));
    expect(plane(out.data, 1)).toEqual(plane(out.data, 2));
  });

  it('bytes that are no image are a bad_image failure', async () => {
    await expect(preprocess(Buffer.from('not an image'), spec(), size, half)).rejects.toMatchObject({ code: 'bad_image' });
  });
});

describe('contrast (Roboflow Inference: skimage rescale_intensity at the 2nd/98th percentile, OpenCV equalizeHist)', () => {
  const env = (contrast: unknown) => parseEnvironment({ CLASS_MAP: { '0': 'a' }, PREPROCESSING: JSON.stringify({ contrast }) }).preprocess.contrast;

  it('reads the two modes it applies, and none when disabled or absent', () => {
    expect(env({ enabled: true, type: 'Contrast Stretching' })).toBe('stretch');
    expect(env({ enabled: true, type: 'Histogram Equalization' })).toBe('equalize');
    expect(env({ enabled: false, type: 'Adaptive Equalization' })).toBeNull();
    expect(parseEnvironment({ CLASS_MAP: { '0': 'a' } }).preprocess.contrast).toBeNull();
  });

  it('refuses Adaptive Equalization (and unknown modes) by name instead of skipping it', () => {
    for (const type of ['Adaptive Equalization', 'Sharpen Harder']) {
      let error: unknown;
      try {
        env({ enabled: true, type });
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: 'model_not_found' });
      expect((error as Error).message).toContain(`"${type}" contrast`);
      expect((error as Error).message).toContain('Roboflow API');
    }
  });

  it("percentiles interpolate between neighbours as numpy's do", () => {
    // Samples 0, 10, 20, 30: rank 0.02 * 3 = 0.06 -> 0 + 0.06 * 10 = 0.6; rank 2.94 -> 20 + 0.94 * 10 = 29.4.
    const hist = new Array<number>(256).fill(0);
    for (const v of [0, 10, 20, 30]) hist[v]++;
    expect(percentileOf(hist, 4, 2)).toBeCloseTo(0.6, 10);
    expect(percentileOf(hist, 4, 98)).toBeCloseTo(29.4, 10);
  });

  it('stretching maps the 2nd-98th percentile range onto 0-255, clipping and truncating', () => {
    // One pixel each of grey 0, 10, 20, 30: 12 samples sorted 0,0,0,10,10,10,20,20,20,30,30,30;
    // p2 at rank 0.02 * 11 = 0.22 is 0, p98 at rank 10.78 is 30.
    // 10 -> trunc(10/30*255) = trunc(85) = 85; 20 -> trunc(170) = 170; 30 -> 255.
    const rgb = Uint8Array.from([0, 0, 0, 10, 10, 10, 20, 20, 20, 30, 30, 30]);
    expect(Array.from(stretchContrast(rgb))).toEqual([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);
    // 100 samples 0..99: p2 = 1.98, p98 = 97.02; 50 -> trunc(48.02 / 95.04 * 255) = trunc(128.84...) = 128,
    // and values outside the range clip to 0 and 255.
    const wide = Uint8Array.from({ length: 100 }, (_, i) => i);
    stretchContrast(wide);
    expect([wide[0], wide[1], wide[50], wide[98], wide[99]]).toEqual([0, 0, 128, 255, 255]);
  });

  it('stretching leaves a one-colour picture as it is', () => {
    expect(Array.from(stretchContrast(Uint8Array.from([7, 7, 7, 7, 7, 7])))).toEqual([7, 7, 7, 7, 7, 7]);
  });

  it("equalisation: OpenCV's grey, then the histogram's cumulative share, ties rounded to even", () => {
    expect(grayOf(255, 0, 0)).toBe(76);
    expect(grayOf(0, 255, 0)).toBe(150);
    expect(grayOf(0, 0, 255)).toBe(29);
    // Greys 10, 10, 20, 30: the first bin maps to 0, scale = 255 / (4 - 2) = 127.5;
    // 20 -> round(1 * 127.5) = 128 (tie to even), 30 -> 255.
    const rgb = Uint8Array.from([10, 10, 10, 10, 10, 10, 20, 20, 20, 30, 30, 30]);
    expect(Array.from(equalizeHistogram(rgb))).toEqual([0, 0, 0, 0, 0, 0, 128, 128, 128, 255, 255, 255]);
    // Colour becomes grey: red (76) and blue (29) -> blue's bin is first (0), red's 255.
    expect(Array.from(equalizeHistogram(Uint8Array.from([255, 0, 0, 0, 0, 255])))).toEqual([255, 255, 255, 0, 0, 0]);
    // One grey level stays that level.
    expect(Array.from(equalizeHistogram(Uint8Array.from([9, 9, 9, 9, 9, 9])))).toEqual([9, 9, 9, 9, 9, 9]);
  });

  it('preprocess applies stretching after the crop, before the resize', async () => {
    // Left half grey 100, right half grey 150 (8×8): p2 = 100, p98 = 150, so the halves become 0 and 255.
    const bytes = await png(8, 8, [100, 100, 100], [150, 150, 150], 0.5);
    const out = await preprocess(bytes, spec({ contrast: 'stretch' }), size, half);
    const row = [-1, -1, -1, -1, 1, 1, 1, 1];
    for (let c = 0; c < 3; c++) expect(plane(out.data, c)).toEqual(rows(8, 0).map(() => row));
    const plain = await preprocess(bytes, spec(), size, half);
    expect(plane(plain.data, 0)[0][0]).toBe(r3((100 / 255 - 0.5) / 0.5));
    // With a crop keeping only the left half, one grey is left: nothing to stretch.
    const cropped = await preprocess(bytes, spec({ contrast: 'stretch', staticCrop: { xMin: 0, yMin: 0, xMax: 50, yMax: 100 } }), size, half);
    expect(plane(cropped.data, 0)).toEqual(rows(8, r3((100 / 255 - 0.5) / 0.5)));
  });

  it('preprocess applies histogram equalisation: a red/blue picture becomes white/black', async () => {
    const out = await preprocess(await png(8, 8, [255, 0, 0], [0, 0, 255], 0.5), spec({ contrast: 'equalize' }), size, half);
    const row = [1, 1, 1, 1, -1, -1, -1, -1];
    for (let c = 0; c < 3; c++) expect(plane(out.data, c)).toEqual(rows(8, 0).map(() => row));
  });
});

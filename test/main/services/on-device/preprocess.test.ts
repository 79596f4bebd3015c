import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { classesOf, normalisationFor, parseEnvironment, targetSize, type PreprocessSpec } from '../../../../main/services/on-device/environment';
import { preprocess } from '../../../../main/services/on-device/preprocess';

// Every preprocessing mode against values computed by hand: solid colours survive any resize
// exactly, so each plane's pixels are known.

const half = normalisationFor('vit');
const size = { width: 8, height: 8 };
const grey = (114 / 255 - 0.5) / 0.5;

const spec = (over: Partial<PreprocessSpec> = {}): PreprocessSpec => ({
  autoOrient: false,
  grayscale: false,
  staticCrop: null,
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
      preprocess: { autoOrient: true, grayscale: false, staticCrop: { xMin: 10, yMin: 5, xMax: 90, yMax: 95 }, resize: { mode: 'letterbox', pad: 114, width: 320, height: 240 } },
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

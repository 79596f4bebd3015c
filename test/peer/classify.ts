import { createHash, randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { decodeBmp, looksLikeBmp } from './bmp';

// The peer's "models": deterministic classifiers over the real decoded pixels, so tests can assert
// real predictions. The score comes from the mean R, G and B of the image (the dominant colour).
// Like OpenCV's decode on Roboflow's servers, no EXIF orientation is applied: `image` reports the
// stored pixel size, exactly as received.

export const classes = ['red', 'green', 'blue'] as const;
export type ColourClass = (typeof classes)[number];

export interface ModelSpec {
  multiLabel: boolean;
  /** A second opinion for model comparison: green and blue swap on dark images (no channel above 0.5). */
  swapDark?: boolean;
}

/** project -> versions served. Any other project or version is a 404. */
export const models: Record<string, Record<string, ModelSpec>> = {
  colors: { '1': { multiLabel: false }, '3': { multiLabel: false, swapDark: true } },
  'colors-multi': { '1': { multiLabel: true } },
};

export interface DecodedImage {
  width: number;
  height: number;
  /** Mean R, G, B in 0..1. */
  mean: [number, number, number];
  /** sha1 of the size and decoded pixels: the same picture sent twice has the same key. */
  key: string;
}

/** Decodes image bytes the way the server would; throws when they are not a readable image. */
export async function decodeImage(bytes: Buffer): Promise<DecodedImage> {
  let width: number, height: number, pixels: Buffer;
  if (looksLikeBmp(bytes)) {
    ({ width, height, pixels } = decodeBmp(bytes));
  } else {
    // A real decode, at reduced scale: shrink-on-load keeps the peer cheap (benchmarks measure the
    // client, not the peer) and still rejects corrupt data; a mean colour needs no full resolution.
    const meta = await sharp(bytes).metadata();
    const out = await sharp(bytes, { failOn: 'error' })
      .resize(64, 64, { fit: 'fill' })
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (out.info.channels !== 3) throw new Error(`unexpected ${out.info.channels} channels`);
    if (!meta.width || !meta.height) throw new Error('the image has no size');
    [width, height, pixels] = [meta.width, meta.height, out.data];
  }
  const sums = [0, 0, 0];
  for (let i = 0; i < pixels.length; i += 3) {
    sums[0] += pixels[i];
    sums[1] += pixels[i + 1];
    sums[2] += pixels[i + 2];
  }
  const n = (pixels.length / 3) * 255;
  return {
    width,
    height,
    mean: [sums[0] / n, sums[1] / n, sums[2] / n],
    key: createHash('sha1').update(`${width}x${height}:`).update(pixels).digest('hex'),
  };
}

/** A stand-in for an image the peer cannot download (the hosted-image route, `?image=`): the
 *  colours come from a hash of the URL, except that a colour name in the URL path wins, so tests
 *  can ask for a known class. The size is fixed at 640x480. */
export function imageFromUrl(url: URL): DecodedImage {
  const key = createHash('sha1').update(url.href).digest();
  const path = url.pathname.toLowerCase();
  const named = classes.map((name) => path.includes(name));
  const mean: [number, number, number] = named.some(Boolean)
    ? [Number(named[0]), Number(named[1]), Number(named[2])]
    : [key[0] / 255, key[1] / 255, key[2] / 255];
  return { width: 640, height: 480, mean, key: `url:${key.toString('hex')}` };
}

const sharpness = 8;

/** Softmax over the channel means: scores of red, green, blue summing to 1. */
export function singleLabelScores(mean: readonly number[]): Array<[ColourClass, number]> {
  const exps = mean.map((m) => Math.exp(sharpness * m));
  const total = exps.reduce((a, b) => a + b, 0);
  return classes.map((c, i): [ColourClass, number] => [c, exps[i] / total]);
}

/** Independent sigmoid per channel: yellow is both red and green. */
export function multiLabelScores(mean: readonly number[]): Array<[ColourClass, number]> {
  return classes.map((c, i): [ColourClass, number] => [c, 1 / (1 + Math.exp(-sharpness * (mean[i] - 0.5)))]);
}

/** Roboflow's reading of the `confidence` query parameter: default 0.4, >= 1 is a percentage,
 *  floor 0.01. Returns null when the value is not a number. */
export function readConfidence(raw: string | null): number | null {
  if (raw === null || raw === '') return 0.4;
  const value = Number(raw);
  if (!Number.isFinite(value)) return null;
  const fraction = value >= 1 ? value / 100 : value;
  return Math.max(0.01, fraction);
}

/** The response body of one inference, in the shape the model's type decides. */
export function inferenceResponse(
  image: DecodedImage,
  spec: ModelSpec,
  confidence: number,
  startedAt: number,
): Record<string, unknown> {
  const base = {
    inference_id: randomUUID(),
    time: 0,
    image: { width: image.width, height: image.height },
  };
  let body: Record<string, unknown>;
  if (spec.multiLabel) {
    const scores = multiLabelScores(image.mean);
    const predictions: Record<string, { confidence: number; class_id: number }> = {};
    scores.forEach(([c, conf], i) => (predictions[c] = { confidence: conf, class_id: i }));
    body = {
      ...base,
      predictions,
      predicted_classes: scores.filter(([, conf]) => conf >= confidence).map(([c]) => c),
    };
  } else {
    const [r, g, b] = image.mean;
    const mean = spec.swapDark && Math.max(r, g, b) <= 0.5 ? [r, b, g] : image.mean;
    const passing = singleLabelScores(mean)
      .map(([c, conf]) => ({ class: c, class_id: classes.indexOf(c), confidence: conf }))
      .filter((p) => p.confidence >= confidence)
      .sort((a, b) => b.confidence - a.confidence);
    body = {
      ...base,
      predictions: passing,
      top: passing[0]?.class ?? '',
      confidence: passing[0]?.confidence ?? 0,
    };
  }
  body.time = (performance.now() - startedAt) / 1000;
  return body;
}

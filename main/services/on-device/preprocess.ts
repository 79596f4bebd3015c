import sharp, { type Sharp } from 'sharp';
import { AppFailure } from '../../../app/errors';
import { decodeBmp, looksLikeBmp } from '../bmp';
import { applyContrast } from './contrast';
import type { Normalisation, PreprocessSpec } from './environment';

// Image bytes -> the network's input, as Roboflow Inference prepares it: decode, EXIF auto-orient
// (when the model's preprocessing names it), static crop (percent box), contrast, grayscale, resize (stretch
// or centred letterbox), then RGB planes in NCHW order as float32 (x/255 - mean)/std. Runs in an
// inference worker; sharp does the pixel work in its own threads.

export interface Preprocessed {
  /** 3 x height x width floats, channel-planar (R plane, G plane, B plane). */
  data: Float32Array;
  /** The picture's size as the model's server would report it: upright, before crop and resize. */
  image: { width: number; height: number };
}

function source(bytes: Buffer, raw?: { width: number; height: number; channels: 3 | 4; data: Buffer }): Sharp {
  return raw ? sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } }) : sharp(bytes, { failOn: 'error' });
}

/** Decodes and prepares one image; unreadable bytes become AppFailure('bad_image'). */
export async function preprocess(
  bytes: Buffer,
  spec: PreprocessSpec,
  target: { width: number; height: number },
  norm: Normalisation,
): Promise<Preprocessed> {
  let pixels: Buffer;
  let image: { width: number; height: number };
  try {
    const bmp = looksLikeBmp(bytes) ? await decodeBmp(bytes) : undefined;
    const meta = bmp ?? (await sharp(bytes).metadata());
    if (!meta.width || !meta.height) throw new Error('the image has no size');
    const turned = !bmp && spec.autoOrient && ((meta as { orientation?: number }).orientation ?? 1) >= 5;
    image = turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };

    let pipeline = source(bytes, bmp);
    if (spec.autoOrient && !bmp) pipeline = pipeline.autoOrient();
    if (spec.staticCrop || spec.contrast) pipeline = await cropAndContrast(pipeline, spec, image);
    if (spec.grayscale) pipeline = pipeline.grayscale();
    const pad = spec.resize.pad;
    const out = await pipeline
      .removeAlpha()
      .resize(target.width, target.height, {
        fit: spec.resize.mode === 'letterbox' ? 'contain' : 'fill',
        position: 'centre',
        background: { r: pad, g: pad, b: pad },
        // OpenCV's INTER_LINEAR, as Roboflow's cv2.resize.
        kernel: 'linear',
      })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (out.info.width !== target.width || out.info.height !== target.height) throw new Error('resize gave an unexpected size');
    pixels = out.data;
    if (out.info.channels !== 3) pixels = toRgb(out.data, out.info.channels);
  } catch (err) {
    if (err instanceof AppFailure) throw err;
    throw new AppFailure('bad_image', `This image could not be decoded on this computer (${(err as Error).message}).`);
  }
  return { data: toPlanes(pixels, target.width * target.height, norm), image };
}

/** Static crop, then contrast, on the upright picture (Roboflow's order). sharp applies autoOrient
 *  first, but an extract before a resize must see the upright size, and contrast needs every pixel
 *  of the cropped picture: both get their own pass over raw RGB. */
async function cropAndContrast(pipeline: Sharp, spec: PreprocessSpec, image: { width: number; height: number }): Promise<Sharp> {
  const upright = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  let { width, height } = upright.info;
  let rgb: Uint8Array = upright.info.channels === 3 ? upright.data : toRgb(upright.data, upright.info.channels);
  const c = spec.staticCrop;
  if (c) {
    // Roboflow cuts int(percent / 100 * side).
    const left = Math.floor((c.xMin / 100) * image.width);
    const top = Math.floor((c.yMin / 100) * image.height);
    const right = Math.min(image.width, Math.floor((c.xMax / 100) * image.width));
    const bottom = Math.min(image.height, Math.floor((c.yMax / 100) * image.height));
    if (right - left < 1 || bottom - top < 1) throw new Error('the static crop leaves no pixels');
    const cut = new Uint8Array((right - left) * (bottom - top) * 3);
    for (let y = top; y < bottom; y++) cut.set(rgb.subarray((y * width + left) * 3, (y * width + right) * 3), (y - top) * (right - left) * 3);
    [rgb, width, height] = [cut, right - left, bottom - top];
  }
  if (spec.contrast) applyContrast(rgb, spec.contrast);
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

function toRgb(data: Buffer, channels: number): Buffer {
  const n = data.length / channels;
  const out = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    const g = data[i * channels];
    out[i * 3] = g;
    out[i * 3 + 1] = channels >= 3 ? data[i * channels + 1] : g;
    out[i * 3 + 2] = channels >= 3 ? data[i * channels + 2] : g;
  }
  return out;
}

/** Interleaved RGB bytes -> planar normalised floats. */
export function toPlanes(rgb: Uint8Array, pixels: number, norm: Normalisation): Float32Array {
  const out = new Float32Array(3 * pixels);
  for (let c = 0; c < 3; c++) {
    const scale = 1 / (255 * norm.std[c]);
    const offset = norm.mean[c] / norm.std[c];
    const plane = c * pixels;
    for (let i = 0; i < pixels; i++) out[plane + i] = rgb[i * 3 + c] * scale - offset;
  }
  return out;
}

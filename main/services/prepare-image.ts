import { basename } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { AppFailure } from '../../app/errors';
import type { SentInfo } from '../../app/types';
import { looksLikeBmp } from './bmp';
import { readChecked } from './safe-open';

// Turns an image file into the bytes to upload (image preparation for inference). All decoding and encoding runs in
// sharp's libuv threadpool; the event loop only reads headers.
//
// Original bytes go out when the image is JPEG or PNG, within maxUploadSize and upright: re-encoding
// can flip a borderline class (roboflow-protocol.md), so small images travel as they are. An image
// whose EXIF orientation is not 1 is re-encoded upright instead, because the server's decoder is not
// guaranteed to apply EXIF orientation and the model should see what the user sees. BMP cannot be
// decoded by libvips; it goes as its original bytes (Roboflow's servers read BMP) and cannot be
// downscaled here. Everything else is decoded, downscaled if needed and sent as JPEG q90.

export interface PrepareOptions {
  /** Longest side in px above which images are downscaled; 0 = never. */
  maxUploadSize: number;
  /** Largest request body in bytes (base64 text); Infinity when the endpoint sets none. */
  requestLimit: number;
}

export interface PreparedImage {
  /** The image bytes to send (base64-encoded by the client). */
  body: Buffer;
  sent: SentInfo;
}

const minSide = 16;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Length of the base64 text of n bytes. */
export function base64Length(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/** Reads an image file (a path the library's gate returned) through a handle proven to be that
 *  file; a missing or unreadable file becomes AppFailure('unreadable_file'). */
export async function readImageFile(path: string): Promise<Buffer> {
  try {
    return (await readChecked(path)).bytes;
  } catch (err) {
    if (err instanceof AppFailure) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new AppFailure('unreadable_file', `Could not read ${basename(path)} (${code}). Check that the file still exists and that you may open it.`);
  }
}

/** Width and height from a BMP header, or null when these are not BMP bytes. */
function bmpSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 26 || !looksLikeBmp(bytes)) return null;
  const headerSize = bytes.readUInt32LE(14);
  const [width, height] =
    headerSize === 12 ? [bytes.readUInt16LE(18), bytes.readUInt16LE(20)] : [bytes.readInt32LE(18), Math.abs(bytes.readInt32LE(22))];
  return width > 0 && height > 0 ? { width, height } : null;
}

function tooLarge(limit: number, why = 'even after downscaling'): AppFailure {
  return new AppFailure(
    'too_large',
    `This image does not fit the endpoint's request limit of ${mb(limit)} ${why}. Lower "Max upload size" or convert the file to a smaller JPEG.`,
  );
}

/** The most bytes a plain file of `width`×`height` needs: 4 bytes a pixel (uncompressed RGBA) and
 *  1 MB of metadata. A bigger file carries something else (trailing data): it never goes as is. */
export function saneFileSize(width: number, height: number): number {
  return width * height * 4 + 1024 * 1024;
}

function original(bytes: Buffer, width: number, height: number, limit: number, why: string): PreparedImage {
  if (bytes.length > saneFileSize(width, height)) {
    throw new AppFailure('too_large', `This BMP file holds far more bytes (${mb(bytes.length)}) than its ${width}×${height} pixels need, and a BMP cannot be re-encoded here. Save it again as PNG or JPEG.`);
  }
  if (base64Length(bytes.length) > limit) throw tooLarge(limit, why);
  return { body: bytes, sent: { width, height, bytes: bytes.length, resized: false, reencoded: false } };
}

async function encode(source: Buffer, longest: number, quality: number) {
  try {
    return await sharp(source, { failOn: 'error' })
      .rotate()
      .resize({ width: longest, height: longest, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new AppFailure('bad_image', `This image could not be decoded (${(err as Error).message}). The file may be damaged.`);
  }
}

/** Re-encodes as JPEG with the longest side at most `longest`, shrinking further (smaller side,
 *  lower quality) until the base64 body fits the limit; AppFailure('too_large') if it never does. */
async function encodeToFit(source: Buffer, longest: number, quality: number, fullLongest: number, limit: number): Promise<PreparedImage> {
  const budget = Math.floor((limit * 3) / 4);
  let side = longest;
  for (let attempt = 0; attempt < 8 && side >= minSide; attempt++) {
    const { data, info } = await encode(source, side, quality);
    if (data.length <= budget) {
      const resized = Math.max(info.width, info.height) < fullLongest;
      return { body: data, sent: { width: info.width, height: info.height, bytes: data.length, resized, reencoded: true } };
    }
    // Bytes grow roughly with the pixel count: shrink the side by the square root of the excess.
    side = Math.floor(Math.max(info.width, info.height) * Math.min(0.7, Math.sqrt(budget / data.length) * 0.9));
    quality = Math.max(60, quality - 10);
  }
  throw tooLarge(limit);
}

/** The bytes to upload for one image and what they are (see the rules at the top of this file). */
export async function prepareImage(source: Buffer, opts: PrepareOptions): Promise<PreparedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(source).metadata();
  } catch (err) {
    const bmp = bmpSize(source);
    if (bmp) return original(source, bmp.width, bmp.height, opts.requestLimit, 'and a BMP cannot be downscaled here');
    throw new AppFailure('bad_image', `This file is not an image that can be read (${(err as Error).message}).`);
  }
  if (!meta.width || !meta.height) throw new AppFailure('bad_image', 'This image has no readable size. The file may be damaged.');
  const orientation = meta.orientation ?? 1;
  const [width, height] = orientation >= 5 ? [meta.height, meta.width] : [meta.width, meta.height];
  const longest = Math.max(width, height);
  const needsResize = opts.maxUploadSize > 0 && longest > opts.maxUploadSize;
  // Original bytes only when the file is no bigger than its pixels need: a JPEG with 100 MB of
  // trailing data is re-encoded (a few hundred KB), not sent and held as 139 MB requests.
  const asIs = (meta.format === 'jpeg' || meta.format === 'png') && !needsResize && orientation === 1 && source.length <= saneFileSize(width, height);
  if (asIs && base64Length(source.length) <= opts.requestLimit) {
    return { body: source, sent: { width, height, bytes: source.length, resized: false, reencoded: false } };
  }
  const prepared = await encodeToFit(source, needsResize ? opts.maxUploadSize : longest, 90, longest, opts.requestLimit);
  return { ...prepared, sent: { ...prepared.sent, original: { width, height } } };
}

/** A smaller upload after the server answered 413: half the longest side of what was sent. */
export async function downscaleFurther(source: Buffer, previous: SentInfo, opts: Pick<PrepareOptions, 'requestLimit'>): Promise<PreparedImage> {
  const side = Math.floor(Math.max(previous.width, previous.height) / 2);
  if (!previous.reencoded && bmpSize(source)) {
    throw new AppFailure('too_large', 'The server refused this BMP as too large, and a BMP cannot be downscaled here. Convert it to JPEG and try again.');
  }
  if (side < minSide) throw new AppFailure('too_large', 'The server refuses this image as too large even at a tiny size. Check the endpoint\'s request limit.');
  let fullLongest = side * 2;
  try {
    const meta = await sharp(source).metadata();
    fullLongest = Math.max(meta.width ?? 0, meta.height ?? 0);
  } catch {
    // encodeToFit reports the undecodable image
  }
  const prepared = await encodeToFit(source, side, 85, fullLongest, opts.requestLimit);
  const original = previous.original ?? (previous.resized ? undefined : { width: previous.width, height: previous.height });
  return { ...prepared, sent: { ...prepared.sent, ...(original ? { original } : {}) } };
}

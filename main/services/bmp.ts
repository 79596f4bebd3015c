import { AppFailure } from '../../app/errors';

// A small BMP decoder, because libvips (sharp) cannot read BMP. Supports the kinds cameras,
// scanners and Windows tools write: uncompressed 1/4/8-bit paletted, 16/24/32-bit, with or without
// bit-field masks, bottom-up or top-down. Anything else is a clear bad_image, never a crash.
// The app decodes in a worker thread (bmp-thread.ts) within a pixel and byte budget, so a crafted
// file can neither block main's event loop nor allocate without bound.

export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Buffer;
}

/** What one decode may cost: pixels, and bytes of decoded output (raw RGB(A)). */
export interface BmpBudget {
  maxPixels: number;
  maxOutputBytes: number;
}

/** 40 MP (a 7300×5500 scan) and 160 MB of output: beyond that a BMP is refused, not decoded. */
export const defaultBmpBudget: BmpBudget = { maxPixels: 40_000_000, maxOutputBytes: 160 * 1024 * 1024 };
/** Output bytes decoded between yields to the event loop (~a few ms of work). */
const sliceBytes = 1 << 20;

const bad = (why: string) => new AppFailure('bad_image', `This BMP file cannot be shown: ${why}`);

interface Mask {
  shift: number;
  max: number;
}

function maskOf(mask: number): Mask {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** True when the bytes start like a BMP file. */
export function looksLikeBmp(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x42 && head[1] === 0x4d;
}

/** Decodes a BMP into raw RGB(A) pixels, top row first. */
export async function decodeBmp(buf: Buffer, budget: BmpBudget = defaultBmpBudget): Promise<RawImage> {
  if (buf.length < 26 || !looksLikeBmp(buf)) throw bad('it is not a BMP file, or it is truncated.');
  const dataOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  let width: number;
  let rawHeight: number;
  let bits: number;
  let compression = 0;
  let colorsUsed = 0;
  let paletteEntrySize = 4;
  if (headerSize === 12) {
    width = buf.readUInt16LE(18);
    rawHeight = buf.readInt16LE(20);
    bits = buf.readUInt16LE(24);
    paletteEntrySize = 3;
  } else if (headerSize >= 40 && buf.length >= 14 + 40) {
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bits = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    colorsUsed = buf.readUInt32LE(46);
  } else {
    throw bad(`its header (${headerSize} bytes) is of an unknown kind.`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw bad('its width or height is zero.');
  if (width * height > budget.maxPixels) throw bad(`it is too large (${width}×${height}).`);

  // BI_RGB = 0, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6; RLE and embedded JPEG/PNG are not supported.
  let masks: [number, number, number, number] | null = null;
  if (compression === 3 || compression === 6) {
    if (bits !== 16 && bits !== 32) throw bad('it uses bit fields with an unusual bit depth.');
    const at = 14 + 40; // in every header kind the masks follow the first 40 bytes
    if (buf.length < at + 16) throw bad('it is truncated.');
    const alpha = compression === 6 || headerSize >= 56 ? buf.readUInt32LE(at + 12) : 0;
    masks = [buf.readUInt32LE(at), buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8), alpha];
  } else if (compression !== 0) {
    throw bad('it is compressed (RLE or embedded JPEG/PNG), which is not supported. Save it as an uncompressed BMP or as PNG.');
  } else if (bits === 16) {
    masks = [0x7c00, 0x03e0, 0x001f, 0];
  }
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw bad(`its bit depth (${bits}) is not supported.`);

  let palette: Buffer | null = null;
  if (bits <= 8) {
    const count = colorsUsed || 1 << bits;
    const start = 14 + headerSize;
    if (start + count * paletteEntrySize > buf.length) throw bad('its colour table is truncated.');
    palette = Buffer.alloc(count * 3);
    for (let i = 0; i < count; i++) {
      const o = start + i * paletteEntrySize;
      palette[i * 3] = buf[o + 2];
      palette[i * 3 + 1] = buf[o + 1];
      palette[i * 3 + 2] = buf[o];
    }
  }

  const stride = Math.ceil((width * bits) / 32) * 4;
  if (dataOffset + stride * (height - 1) + Math.ceil((width * bits) / 8) > buf.length) throw bad('it is truncated (the pixel data ends too early).');

  // 32-bit BI_RGB files often leave the 4th byte at 0: it is alpha only when some pixel uses it.
  const rgbWithFourth = bits === 32 && !masks;
  let fourthUsed = false;
  const channels: 3 | 4 = (masks && masks[3]) || rgbWithFourth ? 4 : 3;
  if (width * height * channels > budget.maxOutputBytes) throw bad(`it is too large to decode (${width}×${height}).`);
  const out = Buffer.alloc(width * height * channels);
  const m = masks?.map(maskOf);
  const rowsPerSlice = Math.max(1, Math.floor(sliceBytes / (width * channels)));

  for (let y = 0; y < height; y++) {
    if (y > 0 && y % rowsPerSlice === 0) await new Promise<void>((r) => setImmediate(r));
    const src = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * channels;
    for (let x = 0; x < width; x++, o += channels) {
      if (palette) {
        const bitPos = x * bits;
        const byte = buf[src + (bitPos >> 3)];
        const index = bits === 8 ? byte : (byte >> (8 - bits - (bitPos & 7))) & ((1 << bits) - 1);
        const p = Math.min(index, palette.length / 3 - 1) * 3;
        out[o] = palette[p];
        out[o + 1] = palette[p + 1];
        out[o + 2] = palette[p + 2];
      } else if (m) {
        const v = bits === 16 ? buf.readUInt16LE(src + x * 2) : buf.readUInt32LE(src + x * 4);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = m[c];
          out[o + c] = max ? Math.round((((v >>> shift) & max) * 255) / max) : 255;
        }
      } else {
        const s = src + x * (bits / 8);
        out[o] = buf[s + 2];
        out[o + 1] = buf[s + 1];
        out[o + 2] = buf[s];
        if (channels === 4) {
          out[o + 3] = buf[s + 3];
          if (buf[s + 3] !== 0) fourthUsed = true;
        }
      }
    }
  }
  if (rgbWithFourth && !fourthUsed) {
    // The 4th byte was padding: make those pixels opaque rather than invisible.
    for (let i = 3; i < out.length; i += 4) {
      if (i % sliceBytes < 4) await new Promise<void>((r) => setImmediate(r));
      out[i] = 255;
    }
  }
  return { width, height, channels, data: out };
}

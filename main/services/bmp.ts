import { badBmp, checkPixelData, readBmpHeader } from './bmp-header';
import { readPalette } from './bmp-palette';
import { channelsOf, rowDecoder } from './bmp-rows';
import { nextTurn } from './next-turn';

// A small BMP decoder, because libvips (sharp) cannot read BMP. Supports the kinds cameras,
// scanners and Windows tools write: uncompressed 1/4/8-bit paletted, 16/24/32-bit, with or without
// bit-field masks, bottom-up or top-down. Anything else is a clear bad_image, never a crash.
// The app decodes in a worker thread (bmp-thread.ts) within a pixel and byte budget, so a crafted
// file can neither block main's event loop nor allocate without bound.
// The parts: bmp-header.ts reads and checks the headers, bmp-palette.ts the colour table,
// bmp-rows.ts decodes rows, one decoder per kind of pixel.

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

/** True when the bytes start like a BMP file. */
export function looksLikeBmp(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x42 && head[1] === 0x4d;
}

/** Makes every pixel opaque: the 4th byte of a 32-bit BI_RGB file was padding, not alpha. */
async function makeOpaque(out: Buffer): Promise<void> {
  for (let i = 3; i < out.length; i += 4) {
    if (i % sliceBytes < 4) await nextTurn();
    out[i] = 255;
  }
}

/** Decodes a BMP into raw RGB(A) pixels, top row first. */
export async function decodeBmp(buf: Buffer, budget: BmpBudget = defaultBmpBudget): Promise<RawImage> {
  if (buf.length < 26 || !looksLikeBmp(buf)) throw badBmp('it is not a BMP file, or it is truncated.');
  const header = readBmpHeader(buf, budget.maxPixels);
  const palette = readPalette(buf, header);
  checkPixelData(buf, header);
  const { width, height, topDown, stride, dataOffset } = header;
  const channels = channelsOf(header);
  if (width * height * channels > budget.maxOutputBytes) throw badBmp(`it is too large to decode (${width}×${height}).`);
  const out = Buffer.alloc(width * height * channels);
  const rows = rowDecoder(buf, header, palette, { out, channels });
  const rowsPerSlice = Math.max(1, Math.floor(sliceBytes / (width * channels)));
  for (let y = 0; y < height; y++) {
    if (y > 0 && y % rowsPerSlice === 0) await nextTurn();
    rows.row(dataOffset + (topDown ? y : height - 1 - y) * stride, y * width * channels);
  }
  if (rows.fourthIsPadding()) await makeOpaque(out);
  return { width, height, channels, data: out };
}

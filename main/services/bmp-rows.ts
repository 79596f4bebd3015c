import type { BmpHeader, Masks } from './bmp-header';

// One row decoder per kind of pixel: palette indices (1/4/8 bits), bit-field masks (16/32 bits),
// plain BGR(A) bytes (24/32 bits). Picked once per image, not per pixel.

export interface RowDecoder {
  /** Decodes the row stored at byte `src` of the file into `out` from byte `o` on. */
  row(src: number, o: number): void;
  /** 32-bit BI_RGB files often leave the 4th byte at 0: true when no pixel used it, so it was padding, not alpha. */
  fourthIsPadding(): boolean;
}

export interface RowTarget {
  out: Buffer;
  channels: 3 | 4;
}

const noPadding = (): boolean => false;

function palettedRows(buf: Buffer, width: number, bits: number, palette: Buffer, { out, channels }: RowTarget): RowDecoder {
  const last = palette.length / 3 - 1;
  const indexMask = (1 << bits) - 1;
  return {
    row(src, o) {
      for (let x = 0; x < width; x++, o += channels) {
        const bitPos = x * bits;
        const byte = buf[src + (bitPos >> 3)];
        const index = bits === 8 ? byte : (byte >> (8 - bits - (bitPos & 7))) & indexMask;
        const p = Math.min(index, last) * 3;
        out[o] = palette[p];
        out[o + 1] = palette[p + 1];
        out[o + 2] = palette[p + 2];
      }
    },
    fourthIsPadding: noPadding,
  };
}

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

function maskedRows(buf: Buffer, width: number, bits: number, masks: Masks, { out, channels }: RowTarget): RowDecoder {
  const m = masks.map(maskOf);
  const read = bits === 16 ? (src: number, x: number) => buf.readUInt16LE(src + x * 2) : (src: number, x: number) => buf.readUInt32LE(src + x * 4);
  return {
    row(src, o) {
      for (let x = 0; x < width; x++, o += channels) {
        const v = read(src, x);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = m[c];
          out[o + c] = max ? Math.round((((v >>> shift) & max) * 255) / max) : 255;
        }
      }
    },
    fourthIsPadding: noPadding,
  };
}

function bgrRows(buf: Buffer, width: number, bits: number, { out, channels }: RowTarget): RowDecoder {
  const bytes = bits / 8;
  let fourthUsed = false;
  return {
    row(src, o) {
      for (let x = 0; x < width; x++, o += channels) {
        const s = src + x * bytes;
        out[o] = buf[s + 2];
        out[o + 1] = buf[s + 1];
        out[o + 2] = buf[s];
        if (channels === 4) {
          out[o + 3] = buf[s + 3];
          if (buf[s + 3] !== 0) fourthUsed = true;
        }
      }
    },
    fourthIsPadding: () => channels === 4 && !fourthUsed,
  };
}

/** Output channels: alpha when a mask gives it, or a 32-bit BI_RGB file might use its 4th byte for it. */
export function channelsOf({ bits, masks }: BmpHeader): 3 | 4 {
  return (masks && masks[3]) || (bits === 32 && !masks) ? 4 : 3;
}

export function rowDecoder(buf: Buffer, header: BmpHeader, palette: Buffer | null, target: RowTarget): RowDecoder {
  if (palette) return palettedRows(buf, header.width, header.bits, palette, target);
  if (header.masks) return maskedRows(buf, header.width, header.bits, header.masks, target);
  return bgrRows(buf, header.width, header.bits, target);
}

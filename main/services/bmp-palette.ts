import { badBmp, type BmpHeader } from './bmp-header';

// The colour table of a 1/4/8-bit BMP, stored blue-green-red(-reserved), turned into RGB triples.

/** RGB triples, one per palette entry; null for files of more than 8 bits, which have no palette. */
export function readPalette(buf: Buffer, { bits, colorsUsed, headerSize, paletteEntrySize }: BmpHeader): Buffer | null {
  if (bits > 8) return null;
  const count = colorsUsed || 1 << bits;
  const start = 14 + headerSize;
  if (start + count * paletteEntrySize > buf.length) throw badBmp('its colour table is truncated.');
  const palette = Buffer.alloc(count * 3);
  for (let i = 0; i < count; i++) {
    const o = start + i * paletteEntrySize;
    palette[i * 3] = buf[o + 2];
    palette[i * 3 + 1] = buf[o + 1];
    palette[i * 3 + 2] = buf[o];
  }
  return palette;
}

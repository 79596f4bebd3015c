import { AppFailure } from '../../app/errors';

// Reading a BMP's headers: size, bit depth, bit-field masks and where the pixels are, with every
// check a crafted file could fail made before anything is allocated.

export const badBmp = (why: string) => new AppFailure('bad_image', `This BMP file cannot be shown: ${why}`);

/** Red, green, blue and alpha bit masks (alpha 0: none). */
export type Masks = [number, number, number, number];

export interface BmpHeader {
  headerSize: number;
  dataOffset: number;
  width: number;
  height: number;
  /** Rows stored top first (a negative height in the file); most BMPs are bottom-up. */
  topDown: boolean;
  bits: number;
  /** Set for 16-bit and bit-field files; null for paletted and plain 24/32-bit ones. */
  masks: Masks | null;
  /** Palette entries the file declares (0: as many as the bit depth allows). */
  colorsUsed: number;
  /** 3 bytes per palette entry in the old OS/2 header, 4 otherwise. */
  paletteEntrySize: number;
  /** Bytes per stored row (rows are padded to 4 bytes). */
  stride: number;
}

type Dimensions = Pick<BmpHeader, 'headerSize' | 'dataOffset' | 'width' | 'bits' | 'colorsUsed' | 'paletteEntrySize'> & {
  rawHeight: number;
  compression: number;
};

/** The info header: the 12-byte OS/2 kind, or the 40-byte Windows kind and its longer successors. */
function readDimensions(buf: Buffer): Dimensions {
  const dataOffset = buf.readUInt32LE(10);
  const headerSize = buf.readUInt32LE(14);
  if (headerSize === 12) {
    const [width, rawHeight, bits] = [buf.readUInt16LE(18), buf.readInt16LE(20), buf.readUInt16LE(24)];
    return { headerSize, dataOffset, width, rawHeight, bits, compression: 0, colorsUsed: 0, paletteEntrySize: 3 };
  }
  if (headerSize >= 40 && buf.length >= 14 + 40) {
    const [width, rawHeight, bits] = [buf.readInt32LE(18), buf.readInt32LE(22), buf.readUInt16LE(28)];
    return { headerSize, dataOffset, width, rawHeight, bits, compression: buf.readUInt32LE(30), colorsUsed: buf.readUInt32LE(46), paletteEntrySize: 4 };
  }
  throw badBmp(`its header (${headerSize} bytes) is of an unknown kind.`);
}

/** BI_RGB = 0, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6; RLE and embedded JPEG/PNG are not supported. */
function readMasks(buf: Buffer, { compression, bits, headerSize }: Dimensions): Masks | null {
  if (compression === 3 || compression === 6) {
    if (bits !== 16 && bits !== 32) throw badBmp('it uses bit fields with an unusual bit depth.');
    const at = 14 + 40; // in every header kind the masks follow the first 40 bytes
    if (buf.length < at + 16) throw badBmp('it is truncated.');
    const alpha = compression === 6 || headerSize >= 56 ? buf.readUInt32LE(at + 12) : 0;
    return [buf.readUInt32LE(at), buf.readUInt32LE(at + 4), buf.readUInt32LE(at + 8), alpha];
  }
  if (compression !== 0) {
    throw badBmp('it is compressed (RLE or embedded JPEG/PNG), which is not supported. Save it as an uncompressed BMP or as PNG.');
  }
  // 16-bit BI_RGB is 5-5-5.
  return bits === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : null;
}

/** Reads and checks the headers; refuses a file over `maxPixels` before anything is allocated. */
export function readBmpHeader(buf: Buffer, maxPixels: number): BmpHeader {
  const dims = readDimensions(buf);
  const { width, rawHeight, bits } = dims;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw badBmp('its width or height is zero.');
  if (width * height > maxPixels) throw badBmp(`it is too large (${width}×${height}).`);
  const masks = readMasks(buf, dims);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) throw badBmp(`its bit depth (${bits}) is not supported.`);
  const stride = Math.ceil((width * bits) / 32) * 4;
  return { ...dims, height, topDown: rawHeight < 0, masks, stride };
}

/** Throws unless the file holds every row the header promises. */
export function checkPixelData(buf: Buffer, { dataOffset, stride, height, width, bits }: BmpHeader): void {
  if (dataOffset + stride * (height - 1) + Math.ceil((width * bits) / 8) > buf.length) throw badBmp('it is truncated (the pixel data ends too early).');
}

// A minimal BMP reader and writer. libvips (sharp) cannot decode BMP, but Roboflow's servers can
// (OpenCV), and the client sends BMP files as their original bytes, so the peer reads them itself:
// uncompressed 24/32-bit (BI_RGB or BI_BITFIELDS with the usual masks) and 8-bit palette images,
// bottom-up or top-down. Anything else is refused as undecodable, as a strict server would.

export interface RgbImage {
  width: number;
  height: number;
  /** Tightly packed RGB, top row first. */
  pixels: Buffer;
}

/** True when the bytes start like a Windows bitmap. */
export function looksLikeBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Width and height from a BMP header, or null when the header is not one we understand. */
export function bmpSize(bytes: Buffer): { width: number; height: number } | null {
  if (!looksLikeBmp(bytes)) return null;
  const headerSize = bytes.readUInt32LE(14);
  if (headerSize < 40 || bytes.length < 14 + 40) return null;
  const width = bytes.readInt32LE(18);
  const height = Math.abs(bytes.readInt32LE(22));
  if (width <= 0 || height <= 0) return null;
  return { width, height };
}

/** Decodes a BMP into RGB pixels; throws on anything it does not support or on truncation. */
export function decodeBmp(bytes: Buffer): RgbImage {
  const size = bmpSize(bytes);
  if (!size) throw new Error('not a supported BMP file');
  const { width, height } = size;
  const dataOffset = bytes.readUInt32LE(10);
  const headerSize = bytes.readUInt32LE(14);
  const topDown = bytes.readInt32LE(22) < 0;
  const bpp = bytes.readUInt16LE(28);
  const compression = bytes.readUInt32LE(30);
  if (compression !== 0 && !(compression === 3 && bpp === 32)) {
    throw new Error(`BMP compression ${compression} is not supported`);
  }
  if (bpp !== 24 && bpp !== 32 && bpp !== 8) throw new Error(`BMP with ${bpp} bits per pixel is not supported`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new Error('BMP pixel data is truncated');
  let palette: Buffer | null = null;
  if (bpp === 8) {
    const colours = bytes.readUInt32LE(46) || 256;
    palette = bytes.subarray(14 + headerSize, 14 + headerSize + colours * 4);
  }
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + stride * (topDown ? y : height - 1 - y);
    for (let x = 0; x < width; x++) {
      const out = (y * width + x) * 3;
      let b: number, g: number, r: number;
      if (palette) {
        const i = bytes[row + x] * 4;
        [b, g, r] = [palette[i] ?? 0, palette[i + 1] ?? 0, palette[i + 2] ?? 0];
      } else {
        const p = row + x * (bpp / 8);
        [b, g, r] = [bytes[p], bytes[p + 1], bytes[p + 2]];
      }
      pixels[out] = r;
      pixels[out + 1] = g;
      pixels[out + 2] = b;
    }
  }
  return { width, height, pixels };
}

/** Encodes RGB pixels as an uncompressed 24-bit bottom-up BMP (for tests and fixtures). */
export function encodeBmp(image: RgbImage): Buffer {
  const { width, height, pixels } = image;
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + stride * (height - 1 - y);
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 3;
      out[row + x * 3] = pixels[src + 2];
      out[row + x * 3 + 1] = pixels[src + 1];
      out[row + x * 3 + 2] = pixels[src];
    }
  }
  return out;
}

/** A BMP filled with one colour. */
export function solidBmp(width: number, height: number, rgb: [number, number, number]): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) pixels.set(rgb, i * 3);
  return encodeBmp({ width, height, pixels });
}

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

// Real files for the service tests: temp folders and images made by sharp.

export async function tempDir(prefix = 'classify-desk-test-'): Promise<string> {
  return fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), prefix)));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
}

export type Rgb = { r: number; g: number; b: number };

/** Writes a solid-colour image in the format its extension names (bmp excepted: see writeBmp). */
export async function writeImage(file: string, width = 64, height = 48, color: Rgb = { r: 200, g: 30, b: 30 }, orientation?: number): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let img = sharp({ create: { width, height, channels: 3, background: color } });
  const ext = path.extname(file).slice(1).toLowerCase();
  if (orientation) img = img.withMetadata({ orientation });
  const encoded =
    ext === 'png' ? img.png() : ext === 'webp' ? img.webp() : ext === 'gif' ? img.gif() : ext === 'tif' || ext === 'tiff' ? img.tiff() : img.jpeg();
  await fs.writeFile(file, await encoded.toBuffer());
  return file;
}

/** Writes an uncompressed BMP (24-bit, or 32-bit, bottom-up unless topDown) of one colour. */
export async function writeBmp(file: string, width: number, height: number, color: Rgb, opts: { bits?: 24 | 32; topDown?: boolean } = {}): Promise<string> {
  const bits = opts.bits ?? 24;
  const bpp = bits / 8;
  const stride = Math.ceil((width * bpp) / 4) * 4;
  const data = Buffer.alloc(54 + stride * height);
  data.write('BM', 0, 'ascii');
  data.writeUInt32LE(data.length, 2);
  data.writeUInt32LE(54, 10);
  data.writeUInt32LE(40, 14);
  data.writeInt32LE(width, 18);
  data.writeInt32LE(opts.topDown ? -height : height, 22);
  data.writeUInt16LE(1, 26);
  data.writeUInt16LE(bits, 28);
  data.writeUInt32LE(0, 30);
  data.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 54 + y * stride + x * bpp;
      data[o] = color.b;
      data[o + 1] = color.g;
      data[o + 2] = color.r;
      if (bpp === 4) data[o + 3] = 255;
    }
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, data);
  return file;
}

/** Writes `bytes` (text or binary) to a file, creating its folder. */
export async function writeFile(file: string, bytes: string | Buffer = 'x'): Promise<string> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
  return file;
}

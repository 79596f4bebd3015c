import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach } from 'vitest';

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

/** Writes an uncompressed BMP: 24/32-bit, or 8-bit with a palette; bottom-up unless topDown. */
export async function writeBmp(
  file: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => Rgb,
  opts: { bits?: 8 | 24 | 32; topDown?: boolean; compression?: number } = {},
): Promise<string> {
  const bits = opts.bits ?? 24;
  const palette: Rgb[] = [];
  const indexOf = (c: Rgb) => {
    let i = palette.findIndex((p) => p.r === c.r && p.g === c.g && p.b === c.b);
    if (i < 0) i = palette.push(c) - 1;
    return i;
  };
  if (bits === 8) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) indexOf(pixel(x, y));
  const paletteBytes = bits === 8 ? 256 * 4 : 0;
  const stride = Math.ceil((width * bits) / 32) * 4;
  const offset = 54 + paletteBytes;
  const data = Buffer.alloc(offset + stride * height);
  data.write('BM', 0, 'ascii');
  data.writeUInt32LE(data.length, 2);
  data.writeUInt32LE(offset, 10);
  data.writeUInt32LE(40, 14);
  data.writeInt32LE(width, 18);
  data.writeInt32LE(opts.topDown ? -height : height, 22);
  data.writeUInt16LE(1, 26);
  data.writeUInt16LE(bits, 28);
  data.writeUInt32LE(opts.compression ?? 0, 30);
  data.writeUInt32LE(stride * height, 34);
  palette.forEach((c, i) => {
    data[54 + i * 4] = c.b;
    data[54 + i * 4 + 1] = c.g;
    data[54 + i * 4 + 2] = c.r;
  });
  for (let row = 0; row < height; row++) {
    const y = opts.topDown ? row : height - 1 - row;
    for (let x = 0; x < width; x++) {
      const c = pixel(x, y);
      if (bits === 8) {
        data[offset + row * stride + x] = indexOf(c);
        continue;
      }
      const o = offset + row * stride + x * (bits / 8);
      data[o] = c.b;
      data[o + 1] = c.g;
      data[o + 2] = c.r;
      if (bits === 32) data[o + 3] = 0;
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

/** For the enclosing test file: fresh temp folders, and what a test opened on them, closed and then
 *  removed after each test. */
export function perTestFolders<T extends { close(): Promise<void> }>() {
  let dirs: string[] = [];
  let opened: T[] = [];
  afterEach(async () => {
    await Promise.all(opened.map((item) => item.close()));
    await Promise.all(dirs.map(removeDir));
    dirs = [];
    opened = [];
  });
  return {
    async folder(): Promise<string> {
      const dir = await tempDir();
      dirs.push(dir);
      return dir;
    },
    /** Closed after the test, before its folders are removed. */
    keep(item: T): T {
      opened.push(item);
      return item;
    },
  };
}

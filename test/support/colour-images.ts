import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

// Real JPEGs of known classes for the peer's colour models: image i is red, green or blue in turn,
// each with slightly different pixels (the peer counts repeats by a hash of the decoded pixels,
// so no two images may look the same).

export const colourClasses = ['red', 'green', 'blue'] as const;

export interface ColourImage {
  id: string;
  file: string;
  expected: (typeof colourClasses)[number];
}

/** Writes `count` images into `folder` (optionally under `sub/`), returns them in order. */
export async function writeColourImages(folder: string, count: number, opts: { prefix?: string; sub?: string } = {}): Promise<ColourImage[]> {
  const out: ColourImage[] = [];
  const dir = opts.sub ? path.join(folder, opts.sub) : folder;
  await fs.mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const expected = colourClasses[i % 3];
    const shade = 20 + (i % 200);
    const rgb = { r: shade, g: shade, b: shade, [expected[0]]: 255 } as Record<string, number>;
    const background = { r: expected === 'red' ? 240 : rgb.r, g: expected === 'green' ? 240 : rgb.g, b: expected === 'blue' ? 240 : rgb.b };
    const name = `${opts.prefix ?? 'img'}-${String(i).padStart(4, '0')}.jpg`;
    const file = path.join(dir, name);
    await sharp({ create: { width: 24 + Math.floor(i / 200), height: 16, channels: 3, background } }).jpeg({ quality: 95 }).toFile(file);
    out.push({ id: opts.sub ? `${opts.sub}/${name}` : name, file, expected });
  }
  return out;
}

import sharp, { type Sharp } from 'sharp';
import { solidBmp } from './bmp';

// Real images for tests, generated with sharp: solid colours the peer classifies predictably, and
// noise photos whose JPEG size behaves like a real photograph's (hard to compress).

export type Rgb = [number, number, number];
export const colours: Record<'red' | 'green' | 'blue' | 'yellow' | 'grey', Rgb> = {
  red: [220, 20, 20],
  green: [20, 200, 30],
  blue: [25, 30, 210],
  yellow: [230, 220, 20],
  grey: [128, 128, 128],
};

/** A solid-colour image to encode as the test needs (the peer's `colors/1` model classifies by dominant colour). */
export function solidImage(width: number, height: number, [r, g, b]: Rgb): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } });
}

export function solidJpeg(width: number, height: number, rgb: Rgb): Promise<Buffer> {
  return solidImage(width, height, rgb).jpeg({ quality: 92 }).toBuffer();
}

export function solidPng(width: number, height: number, rgb: Rgb): Promise<Buffer> {
  return solidImage(width, height, rgb).png().toBuffer();
}

export function solidWebp(width: number, height: number, rgb: Rgb): Promise<Buffer> {
  return solidImage(width, height, rgb).webp().toBuffer();
}

export { solidBmp };

/** A JPEG stored as `width` x `height` pixels with an EXIF orientation tag (6 = rotate 90° CW). */
export function orientedJpeg(width: number, height: number, rgb: Rgb, orientation: number): Promise<Buffer> {
  return solidImage(width, height, rgb)
    .jpeg({ quality: 92 })
    .withMetadata({ orientation })
    .toBuffer();
}

/** A photo-like hard-to-compress image tinted towards a colour (still classified by that colour). */
export function noisyJpeg(width: number, height: number, rgb: Rgb = colours.red, quality = 92): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 50 } } })
    .linear([0.5, 0.5, 0.5], rgb.map((v) => v / 2))
    .jpeg({ quality })
    .toBuffer();
}

/** A noise PNG: large on disk for its pixel count. */
export function noisyPng(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
    .png()
    .toBuffer();
}

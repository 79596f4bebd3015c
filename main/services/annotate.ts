import sharp from 'sharp';
import { looksLikeBmp } from './bmp';
import { decodeBmpOffThread } from './bmp-thread';
import { replaceAtomically } from './export-files';
import { readChecked } from './safe-open';

// Annotated images in the manner of Roboflow's SDK `.save()`: the picture (EXIF-oriented) with a
// white caption band added on top carrying "Class: X | Confidence: Y", written as JPEG. The text is
// an SVG composited by sharp; librsvg needs a real font installed (DejaVu Sans), else the glyphs
// come out as empty boxes.

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** Height of the caption band for an image `width` px wide. */
export function bandHeight(width: number): number {
  return Math.max(24, Math.min(96, Math.round(width * 0.06)));
}

/** The SVG of the caption band: black text on white, shrunk to fit the width. */
export function captionSvg(caption: string, width: number, height: number): Buffer {
  const pad = Math.max(4, Math.round(height * 0.25));
  // DejaVu Sans averages ~0.6 em per character; shrink long captions so they fit.
  const fit = (width - 2 * pad) / Math.max(1, caption.length * 0.6);
  const size = Math.max(6, Math.min(Math.round(height * 0.6), Math.floor(fit)));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<rect width="100%" height="100%" fill="#ffffff"/>` +
      `<text x="${pad}" y="${Math.round(height / 2)}" dominant-baseline="central" font-family="DejaVu Sans" ` +
      `font-size="${size}" fill="#000000">${escapeXml(caption)}</text></svg>`,
  );
}

/** The picture to draw on: sharp reads most formats itself; BMP (which libvips cannot read) goes
 *  through the app's BMP decoder off main's thread, as thumbnails do. The file is read once. */
async function openPicture(source: string): Promise<() => ReturnType<typeof sharp>> {
  // sharp gets the bytes of a proven handle, never the path (it could be swapped for a link).
  const { bytes } = await readChecked(source);
  if (looksLikeBmp(bytes.subarray(0, 2))) {
    const raw = await decodeBmpOffThread(bytes);
    const options = { raw: { width: raw.width, height: raw.height, channels: raw.channels } };
    return () => sharp(raw.data, options);
  }
  return () => sharp(bytes, { failOn: 'error' });
}

/** Writes the annotated JPEG of `source` to `target` (atomically). Returns the output size. */
export async function annotateImage(source: string, caption: string, target: string): Promise<{ width: number; height: number }> {
  const picture = await openPicture(source);
  const meta = await picture().metadata();
  const swapped = (meta.orientation ?? 1) >= 5;
  const width = (swapped ? meta.height : meta.width) ?? 0;
  const height = (swapped ? meta.width : meta.height) ?? 0;
  if (!width || !height) throw new Error('image has no size');
  const band = bandHeight(width);
  // sharp composites after rotate/extend, so the band lands on the added white strip.
  await replaceAtomically(target, (temp) =>
    picture()
      .rotate()
      .flatten({ background: '#ffffff' })
      .extend({ top: band, background: '#ffffff' })
      .composite([{ input: captionSvg(caption, width, band), top: 0, left: 0 }])
      .jpeg({ quality: 90 })
      .toFile(temp),
  );
  return { width, height: height + band };
}

import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsAt as screenLabels } from '../../../app/view-filter';
import { normaliseResponse } from '../../../app/roboflow';
import type { ResultRecord } from '../../../app/types';
import { writeExport, type ExportSource } from '../../../main/services/exporter';
import { downscaleFurther, prepareImage } from '../../../main/services/prepare-image';
import { removeDir, tempDir, writeBmp, writeFile, writeImage } from '../../support/service-fixtures';

// Every export of the same results at the same threshold says the same thing, and the same as the
// screen: the Roboflow fields are what Roboflow answers when asked at the export's threshold.

const header = { model: 'colors/1', endpoint: 'http://127.0.0.1:9001', threshold: 0.75, created: '2026-11-27T00:00:00.000Z', folder: '/photos' };

// Received at confidence=0.01: every class, and the server's multi-label verdict at 0.01.
const singleRaw = {
  inference_id: 'i-1',
  image: { width: 64, height: 48 },
  predictions: [
    { class: 'blue', class_id: 0, confidence: 0.74 },
    { class: 'red', class_id: 1, confidence: 0.16 },
    { class: 'green', class_id: 2, confidence: 0.1 },
  ],
  top: 'blue',
  confidence: 0.74,
};
const sureRaw = { ...singleRaw, predictions: [{ class: 'red', class_id: 1, confidence: 0.9 }, { class: 'blue', class_id: 0, confidence: 0.06 }, { class: 'green', class_id: 2, confidence: 0.04 }], top: 'red', confidence: 0.9 };
const multiRaw = {
  image: { width: 64, height: 48 },
  predictions: { cat: { confidence: 0.91, class_id: 0 }, dog: { confidence: 0.4, class_id: 1 }, bird: { confidence: 0.02, class_id: 2 } },
  predicted_classes: ['cat', 'dog', 'bird'],
};

const record = (id: string, response: Record<string, unknown>): ResultRecord => ({
  id,
  size: 1,
  mtimeMs: 1,
  status: 'done',
  response,
  startedAt: '2026-11-27T00:00:00.000Z',
  finishedAt: '2026-11-27T00:00:01.000Z',
});

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('cd-export-threshold-');
});
afterAll(() => removeDir(tmp));

async function jsonImages(sources: ExportSource[]) {
  const out = path.join(tmp, `${Math.random().toString(36).slice(2)}.json`);
  await writeExport({ format: 'json', path: out, header, sources });
  const doc = JSON.parse(await fs.readFile(out, 'utf8'));
  return { doc, images: doc.images as Array<Record<string, unknown>> };
}

describe('exports follow their own threshold', () => {
  it('single-label JSON: classes below the threshold are dropped, top "" and confidence 0 when none is left, raw kept', async () => {
    const { doc, images } = await jsonImages([
      { id: 'blue.jpg', imagePath: '/photos/blue.jpg', record: record('blue.jpg', singleRaw) },
      { id: 'red.jpg', imagePath: '/photos/red.jpg', record: record('red.jpg', sureRaw) },
    ]);
    expect(doc.format).toBe('classify-desk/v2');
    expect(doc.threshold).toBe(0.75);
    const [blue, red] = images;
    expect(blue).toMatchObject({ path: 'blue.jpg', predictions: [], top: '', confidence: 0, inference_id: 'i-1' });
    expect(blue.raw_response).toEqual(singleRaw);
    expect(red).toMatchObject({ predictions: [{ class: 'red', class_id: 1, confidence: 0.9 }], top: 'red', confidence: 0.9 });
    expect(red.raw_response).toEqual(sureRaw);
  });

  it('multi-label JSON: predicted_classes at the threshold, every score kept, the server verdict at 0.01 under raw_response', async () => {
    const { images } = await jsonImages([{ id: 'm.jpg', imagePath: '/photos/m.jpg', record: record('m.jpg', multiRaw) }]);
    expect(images[0].predicted_classes).toEqual(['cat']);
    expect(images[0].predictions).toEqual(multiRaw.predictions);
    expect(images[0].raw_response).toEqual(multiRaw);
  });

  it('CSV top_class, the annotated caption, the class folder and the screen say what the JSON says', async () => {
    const folder = path.join(tmp, 'photos-agree');
    const file = await writeImage(path.join(folder, 'blue.jpg'), 64, 48, { r: 0, g: 0, b: 255 });
    const sources: ExportSource[] = [{ id: 'blue.jpg', imagePath: file, file, record: record('blue.jpg', singleRaw) }];
    const csv = path.join(tmp, 'agree.csv');
    await writeExport({ format: 'csv', path: csv, header, sources });
    const row = (await fs.readFile(csv, 'utf8')).split('\r\n')[1];
    // No label and no confidence at 0.75; the per-class columns keep every score (margin and
    // entropy close the row).
    expect(row).toMatch(/^blue\.jpg,done,,,0\.74,0\.1,0\.16,,,,false,0\.58,0\.67\d*,,$/);
    const byClass = path.join(tmp, 'agree-by-class');
    await writeExport({ format: 'class-folders', path: byClass, header, sources, protectedRoots: [folder] });
    expect(await fs.readdir(byClass)).toEqual(['_below_threshold']);
    // The screen: muted, below the threshold, the same rule.
    const screen = screenLabels(normaliseResponse(singleRaw), 0.75);
    expect(screen.below).toBe(true);
    expect(screenLabels(normaliseResponse(singleRaw), 0.74)).toEqual({ classes: [['blue', 0.74]], below: false });
  });
});

describe('annotated export', () => {
  it('draws BMP images too (decoded by the app), and lists every image it could not write, with why', async () => {
    const folder = path.join(tmp, 'photos-bmp');
    const jpg = await writeImage(path.join(folder, 'a.jpg'), 40, 30, { r: 255, g: 0, b: 0 });
    const bmp = await writeBmp(path.join(folder, 'b.bmp'), 40, 30, () => ({ r: 0, g: 0, b: 255 }));
    const broken = await writeFile(path.join(folder, 'c.jpg'), 'not an image');
    const sources: ExportSource[] = [
      { id: 'a.jpg', imagePath: jpg, file: jpg, record: record('a.jpg', sureRaw) },
      { id: 'b.bmp', imagePath: bmp, file: bmp, record: record('b.bmp', sureRaw) },
      { id: 'c.jpg', imagePath: broken, file: broken, record: record('c.jpg', sureRaw) },
      { id: 'd.jpg', imagePath: path.join(folder, 'd.jpg') },
    ];
    const out = path.join(tmp, 'annotated-bmp');
    const done = await writeExport({ format: 'annotated', path: out, header, sources, protectedRoots: [folder] });
    expect(done.count).toBe(2);
    expect((await fs.readdir(out)).sort()).toEqual(['a.jpg', 'b.jpg']);
    const b = await sharp(path.join(out, 'b.jpg')).raw().toBuffer({ resolveWithObject: true });
    expect(b.info.width).toBe(40);
    const last = (b.info.height - 1) * b.info.width * 3;
    expect(b.data[last + 2]).toBeGreaterThan(200); // the blue picture under the caption band
    expect(done.skipped?.map((s) => [s.id, s.code])).toEqual([
      ['c.jpg', 'bad_image'],
      ['d.jpg', 'not_classified'],
    ]);
    expect(done.skipped?.every((s) => s.message.length > 10)).toBe(true);
  });
});

describe('class folders', () => {
  it('keep sub-folders by default, so same-named files do not collide; flat on request', async () => {
    const folder = path.join(tmp, 'photos-sub');
    const x = await writeImage(path.join(folder, 'day1', 'img.jpg'));
    const y = await writeImage(path.join(folder, 'day2', 'img.jpg'));
    const sources: ExportSource[] = [
      { id: 'day2/img.jpg', imagePath: y, file: y, record: record('day2/img.jpg', sureRaw) },
      { id: 'day1/img.jpg', imagePath: x, file: x, record: record('day1/img.jpg', sureRaw) },
    ];
    const out = path.join(tmp, 'sub-by-class');
    await writeExport({ format: 'class-folders', path: out, header, sources, protectedRoots: [folder] });
    expect((await fs.readdir(path.join(out, 'red'))).sort()).toEqual(['day1', 'day2']);
    expect(await fs.readdir(path.join(out, 'red', 'day1'))).toEqual(['img.jpg']);
    const flat = path.join(tmp, 'flat-by-class');
    await writeExport({ format: 'class-folders', path: flat, header, sources, protectedRoots: [folder], keepSubfolders: false });
    expect((await fs.readdir(path.join(flat, 'red'))).sort()).toEqual(['img (2).jpg', 'img.jpg']);
  });
});

describe('row order', () => {
  it('JSON and CSV rows come in path order whatever order the folder was scanned in', async () => {
    const ids = ['img10.jpg', 'b/z.jpg', 'img2.jpg', 'a.jpg'];
    const sources = ids.map((id) => ({ id, imagePath: `/photos/${id}`, record: record(id, sureRaw) }));
    const { images } = await jsonImages(sources);
    expect(images.map((i) => i.path)).toEqual(['a.jpg', 'b/z.jpg', 'img2.jpg', 'img10.jpg']);
    const csv = path.join(tmp, 'order.csv');
    await writeExport({ format: 'csv', path: csv, header, sources });
    const rows = (await fs.readFile(csv, 'utf8')).split('\r\n').slice(1, -1);
    expect(rows.map((r) => r.split(',')[0])).toEqual(['a.jpg', 'b/z.jpg', 'img2.jpg', 'img10.jpg']);
  });
});

describe('original size', () => {
  it('is recorded next to what was sent when the image was downscaled, and exported as `original`', async () => {
    const big = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#00ff00' } }).jpeg().toBuffer();
    const { sent } = await prepareImage(big, { maxUploadSize: 500, requestLimit: 20 * 1024 * 1024 });
    expect(sent).toMatchObject({ width: 500, height: 250, resized: true, original: { width: 2000, height: 1000 } });
    const smaller = await downscaleFurther(big, sent, { requestLimit: 20 * 1024 * 1024 });
    expect(smaller.sent).toMatchObject({ width: 250, original: { width: 2000, height: 1000 } });
    const { images } = await jsonImages([
      { id: 'big.jpg', imagePath: '/photos/big.jpg', record: { ...record('big.jpg', sureRaw), sent } },
      { id: 'as-is.jpg', imagePath: '/photos/as-is.jpg', record: { ...record('as-is.jpg', sureRaw), sent: { width: 64, height: 48, bytes: 9, resized: false, reencoded: false } } },
    ]);
    expect(images.find((i) => i.path === 'big.jpg')).toMatchObject({ original: { width: 2000, height: 1000 }, sent: { width: 500, height: 250 } });
    expect(images.find((i) => i.path === 'as-is.jpg')?.original).toEqual({ width: 64, height: 48 });
  });
});

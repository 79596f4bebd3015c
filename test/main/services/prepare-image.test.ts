import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64Length, downscaleFurther, prepareImage, readImageFile } from '../../../main/services/prepare-image';
import { colours, noisyJpeg, noisyPng, orientedJpeg, solidBmp, solidPng, solidWebp } from '../../peer/images';
import { failure } from '../../support/app-failure';

const defaults = { maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024 };

describe('prepareImage', () => {
  let bigJpeg: Buffer;
  beforeAll(async () => {
    bigJpeg = await noisyJpeg(3000, 2000);
  });

  it('sends a small PNG as its original bytes', async () => {
    const png = await solidPng(64, 48, colours.green);
    const { body, sent } = await prepareImage(png, defaults);
    expect(body.equals(png)).toBe(true);
    expect(sent).toEqual({ width: 64, height: 48, bytes: png.length, resized: false, reencoded: false });
  });

  it('downscales a large JPEG to the longest side and re-encodes it much smaller', async () => {
    const { body, sent } = await prepareImage(bigJpeg, defaults);
    const meta = await sharp(body).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([1024, 683]);
    expect(sent).toMatchObject({ width: 1024, height: 683, bytes: body.length, resized: true, reencoded: true });
    expect(body.length).toBeLessThan(bigJpeg.length / 4);
  });

  it('never downscales when the max upload size is 0', async () => {
    const { body, sent } = await prepareImage(bigJpeg, { ...defaults, maxUploadSize: 0 });
    expect(body.equals(bigJpeg)).toBe(true);
    expect(sent).toMatchObject({ width: 3000, height: 2000, resized: false, reencoded: false });
  });

  it('re-encodes an EXIF-rotated JPEG upright, since the server may not rotate it', async () => {
    const rotated = await orientedJpeg(40, 20, colours.blue, 6);
    const { body, sent } = await prepareImage(rotated, defaults);
    const meta = await sharp(body).metadata();
    expect([meta.width, meta.height, meta.orientation ?? 1]).toEqual([20, 40, 1]);
    expect(sent).toMatchObject({ width: 20, height: 40, resized: false, reencoded: true });
  });

  it('re-encodes formats other than JPEG and PNG', async () => {
    const webp = await solidWebp(30, 30, colours.red);
    const { body, sent } = await prepareImage(webp, defaults);
    expect((await sharp(body).metadata()).format).toBe('jpeg');
    expect(sent).toMatchObject({ width: 30, height: 30, resized: false, reencoded: true });
  });

  it('sends a BMP (which libvips cannot read) as its original bytes with its header size', async () => {
    const bmp = solidBmp(12, 7, colours.red);
    const { body, sent } = await prepareImage(bmp, defaults);
    expect(body.equals(bmp)).toBe(true);
    expect(sent).toEqual({ width: 12, height: 7, bytes: bmp.length, resized: false, reencoded: false });
  });

  it('refuses bytes that are no image as bad_image', async () => {
    const err = await failure(prepareImage(Buffer.from('definitely not an image, just text'), defaults));
    expect(err.code).toBe('bad_image');
  });

  it('shrinks further until the base64 body fits the request limit', async () => {
    const png = await noisyPng(400, 300);
    const requestLimit = 40_000;
    expect(base64Length(png.length)).toBeGreaterThan(requestLimit);
    const { body, sent } = await prepareImage(png, { ...defaults, requestLimit });
    expect(base64Length(body.length)).toBeLessThanOrEqual(requestLimit);
    expect(sent.reencoded).toBe(true);
    expect(sent.width).toBeLessThanOrEqual(400);
  });

  it('says too_large when nothing fits, and for a BMP over the limit', async () => {
    expect((await failure(prepareImage(await noisyPng(200, 200), { ...defaults, requestLimit: 200 }))).code).toBe('too_large');
    const bmp = solidBmp(100, 100, colours.red);
    const err = await failure(prepareImage(bmp, { ...defaults, requestLimit: 1000 }));
    expect(err.code).toBe('too_large');
    expect(err.message).toMatch(/BMP/);
  });
});

describe('downscaleFurther', () => {
  it('halves the longest side of what was sent', async () => {
    const jpeg = await noisyJpeg(800, 600);
    const first = await prepareImage(jpeg, defaults);
    const next = await downscaleFurther(jpeg, first.sent, { requestLimit: Infinity });
    expect(next.sent).toMatchObject({ width: 400, height: 300, resized: true, reencoded: true });
    expect(next.body.length).toBeLessThan(first.body.length);
  });

  it('gives up on BMP originals and tiny images', async () => {
    const bmp = solidBmp(50, 50, colours.red);
    const sentBmp = { width: 50, height: 50, bytes: bmp.length, resized: false, reencoded: false };
    expect((await failure(downscaleFurther(bmp, sentBmp, { requestLimit: Infinity }))).code).toBe('too_large');
    const png = await solidPng(20, 20, colours.red);
    const sentPng = { width: 20, height: 20, bytes: png.length, resized: false, reencoded: false };
    expect((await failure(downscaleFurther(png, sentPng, { requestLimit: Infinity }))).code).toBe('too_large');
  });
});

describe('readImageFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prepare-image-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file, and reports a missing one as unreadable_file', async () => {
    await writeFile(join(dir, 'a.png'), 'bytes');
    expect((await readImageFile(join(dir, 'a.png'))).toString()).toBe('bytes');
    const err = await failure(readImageFile(join(dir, 'gone.png')));
    expect(err.code).toBe('unreadable_file');
    expect(err.message).toContain('gone.png');
  });
});

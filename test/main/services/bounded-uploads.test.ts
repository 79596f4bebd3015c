import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { normaliseSettings, requestLimitOf } from '../../../app/settings';
import { base64Length, prepareImage } from '../../../main/services/prepare-image';
import { colours, noisyPng, solidBmp, solidPng } from '../../peer/images';
import { failure } from '../../support/app-failure';

// An image file that carries far more bytes than its pixels need (a JPEG with megabytes of data
// appended) is never uploaded as it is, and self-hosted servers get a request cap too.

const marker = Buffer.from('TRAILING-DATA-NOT-AN-IMAGE');
const padded = (image: Buffer, bytes: number) => Buffer.concat([image, marker, Buffer.alloc(bytes, 0x20)]);

describe('bounded uploads', () => {
  it('re-encodes a JPEG with megabytes of trailing data instead of sending it as is', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: colours.red } }).jpeg().toBuffer();
    const source = padded(jpeg, 6 * 1024 * 1024);
    const { body, sent } = await prepareImage(source, { maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024 });
    expect(sent).toMatchObject({ width: 64, height: 48, reencoded: true });
    expect(body.length).toBeLessThan(64 * 1024);
    expect(body.includes(marker)).toBe(false);
  });

  it('still sends a sane PNG as its original bytes', async () => {
    const png = await solidPng(64, 48, colours.green);
    expect((await prepareImage(png, { maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024 })).body.equals(png)).toBe(true);
  });

  it('refuses a BMP padded far beyond its pixels (it cannot be re-encoded here)', async () => {
    const bmp = padded(await solidBmp(16, 16, colours.blue), 2 * 1024 * 1024);
    expect((await failure(prepareImage(bmp, { maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024 }))).code).toBe('too_large');
  });

  it('caps uploads to self-hosted servers at 20 MB by default (a setting)', async () => {
    const selfHosted = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: 'http://127.0.0.1:9001' });
    expect(requestLimitOf(selfHosted)).toBe(20 * 1024 * 1024);
    expect(requestLimitOf({ ...selfHosted, selfHostedLimitMb: 5 })).toBe(5 * 1024 * 1024);
    expect(requestLimitOf(normaliseSettings({ endpointKind: 'hosted' }))).toBe(5 * 1024 * 1024);
    // A picture bigger than the cap is downscaled to fit it.
    const noisy = await noisyPng(800, 800);
    const cap = requestLimitOf({ ...selfHosted, selfHostedLimitMb: 1 });
    expect(base64Length(noisy.length)).toBeGreaterThan(cap);
    const { body } = await prepareImage(noisy, { maxUploadSize: 0, requestLimit: cap });
    expect(base64Length(body.length)).toBeLessThanOrEqual(cap);
  });
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseSettings, requestLimitOf } from '../../../app/settings';
import { createLimiter } from '../../../main/services/limit';
import { base64Length, prepareImage } from '../../../main/services/prepare-image';
import { createRoboflowClient, largeFileBytes } from '../../../main/services/roboflow';
import { colours, noisyPng, solidBmp, solidPng } from '../../peer/images';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { failure } from '../../support/app-failure';

// An image file that carries far more bytes than its pixels need (a JPEG with megabytes of data
// appended) is never uploaded as it is, self-hosted servers get a request cap too, and huge files
// are held in memory one at a time.

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

describe('huge files in memory', () => {
  let peer: Peer;
  let dir: string;
  beforeAll(async () => {
    peer = await startPeer();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-huge-'));
  });
  afterAll(async () => {
    await peer.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads and prepares files over 32 MB one at a time, whatever the concurrency, and still classifies them', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: colours.red } }).jpeg().toBuffer();
    const huge = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const file = path.join(dir, `huge-${i}.jpg`);
        await fs.writeFile(file, padded(jpeg, largeFileBytes + 1024));
        return file;
      }),
    );
    const small = path.join(dir, 'small.png');
    await fs.writeFile(small, await solidPng(64, 48, colours.green));
    // The real one-slot limiter the app shares across its queues, watched from inside.
    const limiter = createLimiter(1);
    let inside = 0;
    let most = 0;
    let gated = 0;
    const largeFiles = <T>(task: () => Promise<T>) =>
      limiter(async () => {
        gated++;
        most = Math.max(most, ++inside);
        try {
          return await task();
        } finally {
          inside--;
        }
      });
    const client = createRoboflowClient({ timeoutMs: 30_000, authMode: 'bearer+query', maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024, largeFiles });
    const target = { baseUrl: peer.url, model: 'colors/1', apiKey: defaultPeerKey };
    const outcomes = await Promise.all([...huge, small].map((file) => client.classify({ kind: 'file', path: file }, target)));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true, true]);
    expect(outcomes.slice(0, 3).map((o) => o.sent?.reencoded)).toEqual([true, true, true]);
    expect(gated).toBe(3);
    expect(most).toBe(1);
  });
});

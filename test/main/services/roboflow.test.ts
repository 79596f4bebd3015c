import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseResponse } from '../../../app/roboflow';
import type { AuthMode } from '../../../app/settings';
import type { ClassifyOutcome } from '../../../main/services/classifier';
import { base64Length } from '../../../main/services/prepare-image';
import { createRoboflowClient, type RoboflowClientOptions } from '../../../main/services/roboflow';
import { encodeBmp } from '../../peer/bmp';
import { colours, noisyJpeg, orientedJpeg, solidBmp, solidPng } from '../../peer/images';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { closedPortUrl } from '../../support/net';

const key = defaultPeerKey;
let dir: string;
let peer: Peer;
const file = (name: string) => ({ kind: 'file' as const, path: join(dir, name) });
const target = (model = 'colors/1', over: Partial<{ baseUrl: string; apiKey: string }> = {}) => ({
  baseUrl: peer.url,
  model,
  apiKey: key,
  ...over,
});
const client = (over: Partial<RoboflowClientOptions> = {}) =>
  createRoboflowClient({ timeoutMs: 10_000, authMode: 'bearer+query', maxUploadSize: 1024, requestLimit: 20 * 1024 * 1024, ...over });

function expectOk(outcome: ClassifyOutcome) {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.error.code}: ${outcome.error.message}`);
  const parsed = parseResponse(outcome.response);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { outcome, ...parsed.value };
}

function expectError(outcome: ClassifyOutcome) {
  if (outcome.ok) throw new Error('expected a failure');
  return outcome;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'roboflow-client-'));
  peer = await startPeer();
  const broken = solidBmp(40, 40, colours.blue).subarray(0, 200);
  await Promise.all([
    solidPng(64, 48, colours.red).then((b) => writeFile(join(dir, 'red.png'), b)),
    solidPng(32, 32, colours.yellow).then((b) => writeFile(join(dir, 'yellow.png'), b)),
    solidPng(32, 32, colours.grey).then((b) => writeFile(join(dir, 'grey.png'), b)),
    noisyJpeg(3000, 2000, colours.green).then((b) => writeFile(join(dir, 'big-green.jpg'), b)),
    orientedJpeg(40, 20, colours.blue, 6).then((b) => writeFile(join(dir, 'rotated.jpg'), b)),
    writeFile(join(dir, 'blue.bmp'), solidBmp(10, 6, colours.blue)),
    writeFile(join(dir, 'broken.bmp'), broken),
    writeFile(join(dir, 'text.jpg'), 'this is not a picture'),
  ]);
});

afterAll(async () => {
  await peer.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => peer.reset());

describe('responses end to end', () => {
  it('classifies a small PNG, sent as its original bytes, single-label', async () => {
    const { outcome, scores, multiLabel } = expectOk(await client().classify(file('red.png'), target()));
    const size = (await stat(join(dir, 'red.png'))).size;
    expect(multiLabel).toBe(false);
    expect(scores[0][0]).toBe('red');
    expect(outcome.response).toMatchObject({ top: 'red', image: { width: 64, height: 48 } });
    expect(outcome.sent).toEqual({ width: 64, height: 48, bytes: size, resized: false, reencoded: false });
    expect(peer.stats.bodyBytes).toEqual([base64Length(size)]);
  });

  it('reads a multi-label answer', async () => {
    const { outcome, scores, multiLabel } = expectOk(await client().classify(file('yellow.png'), target('colors-multi/1')));
    expect(multiLabel).toBe(true);
    expect(scores.map(([c]) => c).sort()).toEqual(['blue', 'green', 'red']);
    expect(outcome.response.predicted_classes).toEqual(expect.arrayContaining(['red', 'green']));
  });

  it('asks for every score by default, and the server filters at a given confidence', async () => {
    expect(expectOk(await client().classify(file('grey.png'), target())).scores).toHaveLength(3);
    for (const confidence of [0.5, 50]) {
      const { outcome, scores } = expectOk(await client({ confidence }).classify(file('grey.png'), target()));
      expect(scores).toEqual([]);
      expect(outcome.response).toMatchObject({ predictions: [], top: '', confidence: 0 });
    }
  });

  it('downscales a large JPEG before upload', async () => {
    const size = (await stat(join(dir, 'big-green.jpg'))).size;
    const { outcome, scores } = expectOk(await client().classify(file('big-green.jpg'), target()));
    expect(scores[0][0]).toBe('green');
    expect(outcome.response.image).toEqual({ width: 1024, height: 683 });
    expect(outcome.sent).toMatchObject({ width: 1024, height: 683, resized: true, reencoded: true });
    expect(outcome.sent!.bytes).toBeLessThan(size / 4);
  });

  it('uploads an EXIF-rotated JPEG upright', async () => {
    const { outcome, scores } = expectOk(await client().classify(file('rotated.jpg'), target()));
    expect(scores[0][0]).toBe('blue');
    expect(outcome.response.image).toEqual({ width: 20, height: 40 });
  });

  it('sends a BMP as it is and the server decodes it', async () => {
    const { outcome, scores } = expectOk(await client().classify(file('blue.bmp'), target()));
    expect(scores[0][0]).toBe('blue');
    expect(outcome.sent).toMatchObject({ width: 10, height: 6, reencoded: false });
  });

  it('classifies a hosted image by URL, and relays the server refusing a bad one', async () => {
    const { scores } = expectOk(await client().classify({ kind: 'url', url: 'https://images.example.com/leaves/green-1.jpg' }, target()));
    expect(scores[0][0]).toBe('green');
    for (const url of ['http://images.example.com/a.jpg', 'https://intranet/a.jpg']) {
      const failed = expectError(await client().classify({ kind: 'url', url }, target()));
      expect([failed.error.code, failed.status, failed.retryable]).toEqual(['bad_image', 400, false]);
    }
    expect(expectError(await client().classify({ kind: 'url', url: 'not a url' }, target())).error.code).toBe('invalid_input');
  });
});

describe('authentication', () => {
  const watch = (seen: Array<{ url: string; auth: string | null }>): typeof fetch => (input, init) => {
    seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
    return fetch(input, init);
  };
  const modes: Array<[AuthMode, boolean, boolean]> = [
    ['bearer+query', true, true],
    ['bearer', true, false],
    ['query', false, true],
  ];

  it.each(modes)('%s sends the key where it says', async (authMode, bearer, query) => {
    const seen: Array<{ url: string; auth: string | null }> = [];
    expectOk(await client({ authMode, fetch: watch(seen) }).classify(file('red.png'), target()));
    expect(seen).toHaveLength(1);
    expect(seen[0].auth).toBe(bearer ? `Bearer ${key}` : null);
    expect(new URL(seen[0].url).searchParams.get('api_key')).toBe(query ? key : null);
    expect(new URL(seen[0].url).searchParams.get('confidence')).toBe('0.01');
    expect(peer.stats.keysSeen).toEqual(new Set([key]));
  });

  it('works with query auth against a server that ignores the header, and bearer alone fails there', async () => {
    const old = await startPeer({ headerAuth: false });
    try {
      const base = { baseUrl: old.url };
      expectOk(await client({ authMode: 'query' }).classify(file('red.png'), target('colors/1', base)));
      const failed = expectError(await client({ authMode: 'bearer' }).classify(file('red.png'), target('colors/1', base)));
      expect([failed.error.code, failed.status, failed.retryable]).toEqual(['unauthorized', 401, false]);
    } finally {
      await old.close();
    }
  });

  it('reuses one connection for consecutive requests (keep-alive)', async () => {
    for (let i = 0; i < 5; i++) expectOk(await client().classify(file('red.png'), target()));
    expect(peer.stats.requests).toBe(5);
    expect(peer.stats.connections).toBeLessThanOrEqual(1);
  });
});

describe('errors', () => {
  it('maps real server answers: bad key, unknown model, undecodable image', async () => {
    const badKey = expectError(await client().classify(file('red.png'), target('colors/1', { apiKey: 'rf_wrong_key_987654' })));
    expect([badKey.error.code, badKey.retryable]).toEqual(['unauthorized', false]);
    const unknown = expectError(await client().classify(file('red.png'), target('no-such-project/3')));
    expect([unknown.error.code, unknown.status]).toEqual(['model_not_found', 404]);
    expect(unknown.error.message).toContain('no-such-project/3');
    const broken = expectError(await client().classify(file('broken.bmp'), target()));
    expect([broken.error.code, broken.status, broken.retryable]).toEqual(['bad_image', 400, false]);
    expect(broken.error.message).toMatch(/truncated/);
  });

  it('refuses an unreadable or non-image file before sending anything', async () => {
    expect(expectError(await client().classify(file('missing.png'), target())).error.code).toBe('unreadable_file');
    expect(expectError(await client().classify(file('text.jpg'), target())).error.code).toBe('bad_image');
    expect(peer.stats.requests).toBe(0);
  });

  const table: Array<[number, string, boolean]> = [
    [400, 'bad_image', false],
    [401, 'unauthorized', false],
    [402, 'payment_required', false],
    [403, 'quota_or_forbidden', false],
    [404, 'model_not_found', false],
    [423, 'payment_required', false],
    [418, 'bad_request', false],
    [500, 'server', true],
    [502, 'server', true],
    [503, 'server', true],
    [504, 'server', true],
    [507, 'model_too_big', false],
  ];
  it.each(table)('status %i -> %s (retryable %s)', async (status, code, retryable) => {
    peer.fault({ kind: 'status', status, body: status === 502 ? 'text' : 'json', retryAfter: status === 504 ? 7 : undefined });
    const failed = expectError(await client().classify(file('red.png'), target()));
    expect([failed.error.code, failed.status, failed.retryable]).toEqual([code, status, retryable]);
    expect(failed.error.message).not.toMatch(/<html|<h1/);
    if (status === 504) expect(failed.retryAfterMs).toBe(7000);
  });

  it('names all three possibilities of a 403', async () => {
    peer.fault({ kind: 'status', status: 403 });
    const { message } = expectError(await client().classify(file('red.png'), target())).error;
    expect(message).toMatch(/key/);
    expect(message).toMatch(/model/);
    expect(message).toMatch(/quota/);
  });

  it('429 and 503 are retryable with Retry-After', async () => {
    peer.fault({ kind: '429', retryAfter: 3 });
    const limited = expectError(await client().classify(file('red.png'), target()));
    expect([limited.error.code, limited.retryable, limited.retryAfterMs]).toEqual(['rate_limited', true, 3000]);
    peer.fault({ kind: '503' });
    const loading = expectError(await client().classify(file('red.png'), target()));
    expect([loading.error.code, loading.retryable, loading.retryAfterMs]).toEqual(['server', true, 1000]);
  });

  it('a timeout, a dropped connection and a refused connection are retryable', async () => {
    peer.fault({ kind: 'slow', delayMs: 3000 });
    const slow = expectError(await client({ timeoutMs: 300 }).classify(file('red.png'), target()));
    expect([slow.error.code, slow.retryable]).toEqual(['timeout', true]);
    peer.fault({ kind: 'drop' });
    const dropped = expectError(await client().classify(file('red.png'), target()));
    expect([dropped.error.code, dropped.retryable]).toEqual(['network', true]);
    const refused = expectError(await client().classify(file('red.png'), target('colors/1', { baseUrl: await closedPortUrl() })));
    expect([refused.error.code, refused.retryable]).toEqual(['network', true]);
    expect(refused.error.message).toContain('ECONNREFUSED');
  });

  it('a 200 that is not JSON, or JSON of neither shape, is a retryable bad_response', async () => {
    peer.fault({ kind: 'garbage' });
    const html = expectError(await client().classify(file('red.png'), target()));
    expect([html.error.code, html.retryable, html.status]).toEqual(['bad_response', true, 200]);
    peer.fault({ kind: 'garbage', body: 'json' });
    const json = expectError(await client().classify(file('red.png'), target()));
    expect([json.error.code, json.retryable]).toEqual(['bad_response', true]);
  });

  it('a cancelled request says so and is not retryable', async () => {
    peer.fault({ kind: 'slow', delayMs: 3000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = expectError(await client().classify(file('red.png'), target(), controller.signal));
    expect([cancelled.error.code, cancelled.retryable]).toEqual(['cancelled', false]);
  });

  it('waits at the gate before each request goes out, and sends nothing when aborted there', async () => {
    const before = peer.stats.requests;
    let open: () => void = () => {};
    const gate = () => new Promise<void>((resolve) => (open = resolve));
    const pending = client().classify(file('red.png'), target(), undefined, gate);
    await new Promise((r) => setTimeout(r, 150));
    expect(peer.stats.requests).toBe(before);
    open();
    expectOk(await pending);
    expect(peer.stats.requests).toBe(before + 1);

    const controller = new AbortController();
    const aborted = client().classify(file('red.png'), target(), controller.signal, async () => controller.abort());
    expect(expectError(await aborted).error.code).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.stats.requests).toBe(before + 1);
  });

  it('checks the target before sending', async () => {
    expect(expectError(await client().classify(file('red.png'), target('colors'))).error.code).toBe('model_not_found');
    expect(expectError(await client().classify(file('red.png'), target('colors/1', { apiKey: '' }))).error.code).toBe('no_key');
    expect(expectError(await client().classify(file('red.png'), target('colors/1', { baseUrl: 'ftp://x' }))).error.code).toBe('invalid_input');
    expect(peer.stats.requests).toBe(0);
  });
});

describe('request limit', () => {
  it('downscales and resends after a 413', async () => {
    const small = await startPeer({ maxBodyBytes: 200_000 });
    try {
      const out = await client({ requestLimit: Infinity }).classify(file('big-green.jpg'), target('colors/1', { baseUrl: small.url }));
      const { outcome, scores } = expectOk(out);
      expect(scores[0][0]).toBe('green');
      expect(small.stats.byStatus[413]).toBeGreaterThanOrEqual(1);
      expect(outcome.sent!.width).toBeLessThan(1024);
      expect(outcome.response.image).toEqual({ width: outcome.sent!.width, height: outcome.sent!.height });
      expect(small.stats.bodyBytes.at(-1)).toBeLessThanOrEqual(200_000);
    } finally {
      await small.close();
    }
  });

  it('gives up with too_large when even the downscaled image is refused', async () => {
    const tiny = await startPeer({ maxBodyBytes: 100 });
    try {
      const failed = expectError(await client({ requestLimit: Infinity }).classify(file('big-green.jpg'), target('colors/1', { baseUrl: tiny.url })));
      expect([failed.error.code, failed.retryable, failed.status]).toEqual(['too_large', false, 413]);
      expect(tiny.stats.bodyBytes).toHaveLength(3);
    } finally {
      await tiny.close();
    }
  });

  it('fits the endpoint limit before sending, or fails without sending', async () => {
    const out = expectOk(await client({ requestLimit: 60_000 }).classify(file('big-green.jpg'), target()));
    expect(peer.stats.bodyBytes[0]).toBeLessThanOrEqual(60_000);
    expect(out.outcome.sent!.resized).toBe(true);
    peer.reset();
    const failed = expectError(await client({ requestLimit: 50 }).classify(file('big-green.jpg'), target()));
    expect(failed.error.code).toBe('too_large');
    expect(peer.stats.requests).toBe(0);
  });
});

describe('the key never leaks', () => {
  it('is absent from every outcome, even when the server or an exception echoes it', async () => {
    const outcomes: ClassifyOutcome[] = [];
    for (const status of [400, 401, 403, 404, 500, 502]) {
      peer.fault({ kind: 'status', status, echoKey: true, body: status === 502 ? 'text' : 'json' });
      outcomes.push(await client().classify(file('red.png'), target()));
    }
    // The server's own message quoted the key and the URL: the outcome quotes the message, redacted.
    expect(outcomes[0].ok ? '' : outcomes[0].error.message).toContain('[redacted]');
    const throwing: typeof fetch = async (input) => {
      throw new TypeError(`fetch failed for ${String(input)} with Bearer ${key}`, { cause: new Error(`key ${key}`) });
    };
    outcomes.push(await client({ fetch: throwing }).classify(file('red.png'), target()));
    outcomes.push(await client().classify(file('red.png'), target(`${key}/1`, { baseUrl: `${await closedPortUrl()}/?api_key=${key}` })));
    outcomes.push(await client().classify(file('red.png'), target(`not-a-model-${key}`)));
    outcomes.push(await client().classify(file('red.png'), target('colors/1', { baseUrl: `bad ${key}` })));
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      expect(JSON.stringify(outcome)).not.toContain(key);
    }
  });
});

describe('BMP fixtures', () => {
  it('encodeBmp output is what the server reads back', async () => {
    const pixels = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 10, 10]);
    await writeFile(join(dir, 'four.bmp'), encodeBmp({ width: 2, height: 2, pixels }));
    const { outcome } = expectOk(await client().classify(file('four.bmp'), target()));
    expect(outcome.response.image).toEqual({ width: 2, height: 2 });
  });
});

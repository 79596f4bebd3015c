import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeBmp, encodeBmp } from './bmp';
import { colours, solidJpeg, solidPng } from './images';
import { defaultPeerKey, startPeer, type Peer } from './server';

// The peer must follow roboflow-protocol.md, since every client test trusts it. These tests speak
// raw HTTP to it.

const key = defaultPeerKey;
const form = { 'content-type': 'application/x-www-form-urlencoded' };
let peer: Peer;
let red: Buffer;
let grey: Buffer;
let yellow: Buffer;

type Json = Record<string, unknown> & { predictions?: unknown; message?: string };

async function post(path: string, body?: string | Buffer, headers: Record<string, string> = form, base = peer.url) {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body), headers });
  const text = await res.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

beforeAll(async () => {
  peer = await startPeer();
  [red, grey, yellow] = await Promise.all([
    solidPng(30, 20, colours.red),
    solidPng(16, 16, colours.grey),
    solidPng(16, 16, colours.yellow),
  ]);
});
afterAll(() => peer.close());
beforeEach(() => peer.reset());

describe('body and content type', () => {
  it('classifies base64 text, and tolerates a data: prefix, percent-encoding and line breaks', async () => {
    const b64 = red.toString('base64');
    const variants = [b64, `data:image/png;base64,${b64}`, encodeURIComponent(b64), b64.replace(/(.{60})/g, '$1\n')];
    for (const body of variants) {
      const res = await post(`/colors/1?api_key=${key}`, body);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ top: 'red', image: { width: 30, height: 20 } });
      expect(res.json!.inference_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(typeof res.json!.time).toBe('number');
    }
    expect(peer.stats.perImage.size).toBe(1);
    expect([...peer.stats.perImage.values()]).toEqual([4]);
  });

  it('answers 400 with a message for a missing or wrong Content-Type, raw binary, no body, or non-image bytes', async () => {
    const b64 = red.toString('base64');
    const cases = [
      await post(`/colors/1?api_key=${key}`, Buffer.from(b64), {}),
      await post(`/colors/1?api_key=${key}`, b64, { 'content-type': 'application/octet-stream' }),
      await post(`/colors/1?api_key=${key}`, red),
      await post(`/colors/1?api_key=${key}`),
      await post(`/colors/1?api_key=${key}`, Buffer.from('not an image at all').toString('base64')),
    ];
    for (const res of cases) {
      expect(res.status).toBe(400);
      expect(typeof res.json?.message).toBe('string');
    }
    expect(peer.stats.inferences).toBe(0);
  });

  it('answers 413 above the request limit', async () => {
    const small = await startPeer({ maxBodyBytes: 100 });
    try {
      const res = await post(`/colors/1?api_key=${key}`, red.toString('base64'), form, small.url);
      expect(res.status).toBe(413);
      expect(small.stats.bodyBytes).toEqual([red.toString('base64').length]);
    } finally {
      await small.close();
    }
  });
});

describe('auth and models', () => {
  it('accepts the key in the query or as a bearer header, and answers 401 otherwise', async () => {
    const body = red.toString('base64');
    expect((await post(`/colors/1?api_key=${key}`, body)).status).toBe(200);
    expect((await post('/colors/1', body, { ...form, authorization: `Bearer ${key}` })).status).toBe(200);
    const missing = await post('/colors/1', body);
    const wrong = await post('/colors/1?api_key=rf_wrong', body);
    for (const res of [missing, wrong]) {
      expect(res.status).toBe(401);
      expect(res.json?.message).toBeTruthy();
    }
    expect(peer.stats.keysSeen).toEqual(new Set([key, 'rf_wrong']));
  });

  it('ignores the bearer header when headerAuth is off', async () => {
    const old = await startPeer({ headerAuth: false });
    try {
      const res = await post('/colors/1', red.toString('base64'), { ...form, authorization: `Bearer ${key}` }, old.url);
      expect(res.status).toBe(401);
    } finally {
      await old.close();
    }
  });

  it('answers 404 for an unknown project or version', async () => {
    for (const path of ['/cats/1', '/colors/2']) {
      const res = await post(`${path}?api_key=${key}`, red.toString('base64'));
      expect(res.status).toBe(404);
      expect(res.json?.message).toContain(path.slice(1));
    }
  });
});

describe('confidence semantics', () => {
  const scoresOf = (json: Json | undefined) => (json?.predictions as Array<{ class: string; confidence: number }>).map((p) => p.confidence);

  it('defaults to 0.4: nothing passes for grey, and the empty answer has top "" and confidence 0', async () => {
    const res = await post(`/colors/1?api_key=${key}`, grey.toString('base64'));
    expect(res.json).toMatchObject({ predictions: [], top: '', confidence: 0 });
  });

  it('reads values >= 1 as percentages, keeps classes at or above it, sorted, summing to 1', async () => {
    for (const c of ['0.3', '30']) {
      const res = await post(`/colors/1?api_key=${key}&confidence=${c}`, grey.toString('base64'));
      const scores = scoresOf(res.json);
      expect(scores).toHaveLength(3);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
  });

  it('floors the threshold at 0.01', async () => {
    const res = await post(`/colors/1?api_key=${key}&confidence=0`, red.toString('base64'));
    expect(scoresOf(res.json)).toHaveLength(1);
    expect(res.json).toMatchObject({ top: 'red' });
  });

  it('answers 400 with a detail list for a non-numeric confidence', async () => {
    const res = await post(`/colors/1?api_key=${key}&confidence=lots`, red.toString('base64'));
    expect(res.status).toBe(400);
    expect(Array.isArray(res.json?.detail)).toBe(true);
  });

  it('multi-label: every class in predictions, predicted_classes by the threshold', async () => {
    const low = await post(`/colors-multi/1?api_key=${key}&confidence=0.5`, yellow.toString('base64'));
    expect(Object.keys(low.json!.predictions as object)).toEqual(['red', 'green', 'blue']);
    expect(low.json!.predicted_classes).toEqual(['red', 'green']);
    expect(low.json).not.toHaveProperty('top');
    const high = await post(`/colors-multi/1?api_key=${key}&confidence=0.999`, yellow.toString('base64'));
    expect(Object.keys(high.json!.predictions as object)).toHaveLength(3);
    expect(high.json!.predicted_classes).toEqual([]);
  });

  it('decodes JPEG and BMP too', async () => {
    const jpeg = await solidJpeg(8, 8, colours.blue);
    const pixels = Buffer.alloc(5 * 3 * 3, 0);
    for (let i = 1; i < pixels.length; i += 3) pixels[i] = 230;
    for (const image of [jpeg, encodeBmp({ width: 5, height: 3, pixels })]) {
      const res = await post(`/colors/1?api_key=${key}`, image.toString('base64'));
      expect(res.status).toBe(200);
    }
    expect(decodeBmp(encodeBmp({ width: 5, height: 3, pixels })).pixels.equals(pixels)).toBe(true);
  });
});

describe('hosted images', () => {
  it('answers deterministically for an https URL on a real domain, 400 otherwise', async () => {
    const url = encodeURIComponent('https://cdn.example.org/photos/123.jpg');
    const a = await post(`/colors/1?api_key=${key}&image=${url}&confidence=0.01`);
    const b = await post(`/colors/1?api_key=${key}&image=${url}&confidence=0.01`);
    expect(a.status).toBe(200);
    expect(a.json!.predictions).toEqual(b.json!.predictions);
    const named = await post(`/colors/1?api_key=${key}&image=${encodeURIComponent('https://x.example.com/blue-sky.png')}`);
    expect(named.json).toMatchObject({ top: 'blue', image: { width: 640, height: 480 } });
    for (const bad of ['http://cdn.example.org/a.jpg', 'https://localhost/a.jpg', 'https://10.0.0.1/a.jpg', 'nonsense']) {
      expect((await post(`/colors/1?api_key=${key}&image=${encodeURIComponent(bad)}`)).status).toBe(400);
    }
  });
});

describe('faults and stats', () => {
  const body = () => red.toString('base64');
  const ask = () => post(`/colors/1?api_key=${key}`, body());

  it('affects `count` requests, then answers normally', async () => {
    peer.fault({ kind: '429', retryAfter: 4, count: 2 });
    const first = await ask();
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, '4']);
    expect((await ask()).status).toBe(429);
    expect((await ask()).status).toBe(200);
    expect(peer.stats.byStatus).toEqual({ 429: 2, 200: 1 });
  });

  it('affects every Nth request until reset', async () => {
    peer.fault({ kind: '503', every: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await ask()).status);
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503]);
    peer.reset();
    expect(peer.stats.requests).toBe(0);
    expect((await ask()).status).toBe(200);
  });

  it('503 carries Retry-After: 1, garbage is a 200 of non-JSON, drop breaks the response', async () => {
    peer.fault({ kind: '503' });
    expect((await ask()).headers.get('retry-after')).toBe('1');
    peer.fault({ kind: 'garbage' });
    const garbage = await ask();
    expect([garbage.status, garbage.json]).toEqual([200, undefined]);
    peer.fault({ kind: 'drop' });
    await expect(ask()).rejects.toThrow();
    expect(peer.stats.byStatus[0]).toBe(1);
    expect(peer.stats.inferences).toBe(0);
  });

  it('answers any status with JSON or a gateway page, echoing the key when asked', async () => {
    peer.fault({ kind: 'status', status: 402 });
    expect(await ask()).toMatchObject({ status: 402, json: { message: expect.any(String) } });
    peer.fault({ kind: 'status', status: 502, body: 'text' });
    const gateway = await ask();
    expect([gateway.status, gateway.json, gateway.text.startsWith('<html>')]).toEqual([502, undefined, true]);
    peer.fault({ kind: 'status', status: 500, echoKey: true });
    expect((await ask()).json?.message).toContain(key);
  });

  it('a slow answer still arrives, and one the client gave up on is not counted', async () => {
    peer.fault({ kind: 'slow', delayMs: 50 });
    expect((await ask()).status).toBe(200);
    peer.fault({ kind: 'slow', delayMs: 400 });
    const gaveUp = fetch(`${peer.url}/colors/1?api_key=${key}`, { method: 'POST', body: body(), headers: form, signal: AbortSignal.timeout(50) });
    await expect(gaveUp).rejects.toThrow();
    await vi.waitFor(() => expect(peer.stats.abandoned).toBe(1), { timeout: 5000 });
    expect(peer.stats.inferences).toBe(1);
  });

  it('counts the same picture under one key and different pictures apart', async () => {
    await ask();
    await ask();
    await post(`/colors/1?api_key=${key}`, grey.toString('base64'));
    expect([...peer.stats.perImage.values()].sort()).toEqual([1, 2]);
    expect(peer.stats).toMatchObject({ requests: 3, inferences: 3 });
    expect(peer.stats.bodyBytes).toHaveLength(3);
  });
});

describe('platform routes', () => {
  it('answers the workspace of a key, or 401 with an error body', async () => {
    expect(await post(`/?api_key=${key}`)).toMatchObject({ status: 200, json: { workspace: 'test-workspace' } });
    const bad = await post('/?api_key=rf_bad_one');
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ error: { message: expect.any(String) } });
  });
});

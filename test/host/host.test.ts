import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '../../app/contract';
import { thumbUrl } from '../../app/media-urls';
import type { FolderInfo, ScanBatch, ScanDone } from '../../app/types';
import { removeDir, tempDir, writeFile, writeImage } from '../support/service-fixtures';
import { startHost, type Host } from './host';
import { idsOf } from '../../app/front-coded';

let host: Host;
let dataDir: string;
let folder: string;
let rendererDir: string;
let origin: string;

beforeAll(async () => {
  dataDir = await tempDir('classify-desk-data-');
  folder = await tempDir('classify-desk-photos-');
  rendererDir = await tempDir('classify-desk-renderer-');
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><html><head><title>t</title><script type="module" crossorigin src="./assets/app.js"></script></head><body></body></html>',
  );
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log("app")');
  await writeImage(path.join(folder, 'red one.jpg'), 640, 480);
  await writeImage(path.join(folder, 'nested', 'Ünïcode.png'), 100, 100);
  host = await startHost({ dataDir, folder, rendererDir, pickFolder: folder });
  origin = host.origin;
});

afterAll(async () => {
  await host?.close();
  await Promise.all([dataDir, folder, rendererDir].map(removeDir));
});

async function invoke<T>(channel: string, body: unknown = {}, headers: Record<string, string> = { Origin: origin, ...host.authHeaders }): Promise<Envelope<T>> {
  const res = await fetch(`${origin}/api/invoke/${channel}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return (await res.json()) as Envelope<T>;
}

/** Reads server-sent events until `until` says stop. */
async function collectEvents(until: (events: Array<{ event: string; data: unknown }>) => boolean, start: () => Promise<void>) {
  const controller = new AbortController();
  const res = await fetch(`${origin}/api/events`, { signal: controller.signal, headers: host.authHeaders });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = '';
  let started = false;
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.+)$/m.exec(frame)?.[1];
      const data = /^data: (.+)$/m.exec(frame)?.[1];
      if (name && data) events.push({ event: name, data: JSON.parse(data) });
    }
    // The stream is connected once its first comment arrived: only then start what emits.
    if (!started) {
      started = true;
      await start();
    }
  }
  controller.abort();
  return events;
}

function rawRequest(pathname: string, headers: Record<string, string>, method = 'GET'): Promise<number> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('browser host', () => {
  it('listens on loopback only and serves index.html with the api shim before the app script, under the app CSP', async () => {
    expect(new URL(host.url).hostname).toBe('127.0.0.1');
    const res = await fetch(host.url);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(html.indexOf('<script src="./host-api.js"></script>')).toBeGreaterThan(0);
    expect(html.indexOf('host-api.js')).toBeLessThan(html.indexOf('type="module"'));
    const shim = await fetch(`${origin}/host-api.js`);
    expect(shim.headers.get('content-type')).toMatch(/javascript/);
    const js = await shim.text();
    expect(js).toContain('"openFolder"');
    expect(js).toContain('Object.freeze(api)');
    expect(await (await fetch(`${origin}/assets/app.js`)).text()).toBe('console.log("app")');
  });

  it('answers contract channels over HTTP with envelopes, errors included', async () => {
    const info = await invoke<{ shell: string; dataDir: string }>('appInfo');
    expect(info).toMatchObject({ ok: true, value: { shell: 'host', dataDir } });
    expect(await invoke('initialFolder')).toEqual({ ok: true, value: folder });
    expect(await invoke('pickFolder')).toEqual({ ok: true, value: folder });
    expect(await invoke('nope')).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await invoke('openFolder', { path: 42 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // A folder the scripted dialog answered but that is gone is not found; one nobody chose is refused.
    const missing = path.join(folder, 'missing');
    host.setDialogAnswers({ pickFolder: missing });
    expect(await invoke('pickFolder')).toEqual({ ok: true, value: missing });
    host.setDialogAnswers({ pickFolder: folder });
    expect(await invoke('openFolder', { path: missing })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await invoke('openFolder', { path: dataDir })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const set = await invoke<{ tileSize: number; threshold: number }>('setSettings', { tileSize: 200 });
    expect(set).toMatchObject({ ok: true, value: { tileSize: 200, threshold: 0.4 } });
  });

  it('opens a folder, streams its scan over server-sent events and serves thumbnails', async () => {
    let opened: Envelope<FolderInfo> | undefined;
    const events = await collectEvents(
      (all) => all.some((e) => e.event === 'scanDone'),
      async () => {
        opened = await invoke<FolderInfo>('openFolder', { path: folder, recursive: true });
      },
    );
    expect(opened).toMatchObject({ ok: true, value: { root: folder } });
    const folderId = (opened as { value: FolderInfo }).value.folderId;
    const ids = events.filter((e) => e.event === 'scanBatch').flatMap((e) => idsOf((e.data as ScanBatch).ids));
    expect(ids.sort()).toEqual(['nested/Ünïcode.png', 'red one.jpg']);
    expect(events.find((e) => e.event === 'scanDone')?.data).toMatchObject({ folderId, total: 2 } satisfies Partial<ScanDone>);
    expect(await invoke('recentFolders')).toEqual({ ok: true, value: [folder] });

    const thumb = await fetch(`${origin}/${thumbUrl(folderId, 'red one.jpg', 160)}`, { headers: host.authHeaders });
    expect(thumb.status).toBe(200);
    expect(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).toMatchObject({ width: 160, height: 120 });
    const escape = await fetch(`${origin}/media/full/${folderId}/..%2F..%2Fetc%2Fpasswd.jpg`, { headers: host.authHeaders });
    expect(escape.status).toBe(403);
  });

  it("opens a folder the tester typed only through the host's own test hook, which needs the token", async () => {
    const typed = await tempDir('classify-desk-typed-');
    expect(await invoke('openFolder', { path: typed })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const hook = (headers: Record<string, string>) =>
      fetch(`${origin}/api/test-hooks/choose-folder`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ path: typed }) });
    expect((await hook({ Origin: origin })).status).toBe(403);
    expect(await invoke('openFolder', { path: typed })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect((await hook({ Origin: origin, ...host.authHeaders })).status).toBe(200);
    expect(await invoke('openFolder', { path: typed })).toMatchObject({ ok: true, value: { root: typed } });
    await removeDir(typed);
  });

  it('refuses API requests from a foreign origin, without an origin, or under another host name', async () => {
    expect(await invoke('appInfo', {}, { Origin: 'http://evil.example', ...host.authHeaders })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await invoke('appInfo', {}, host.authHeaders)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const { host: hostPort } = new URL(origin);
    expect(await rawRequest('/api/invoke/appInfo', { Host: hostPort, Origin: origin, 'Content-Type': 'application/json', ...host.authHeaders }, 'POST')).toBe(200);
    expect(await rawRequest('/api/invoke/appInfo', { Host: 'evil.example', Origin: origin, ...host.authHeaders }, 'POST')).toBe(403);
    expect(await rawRequest('/api/events', { Host: hostPort, Origin: 'http://evil.example', ...host.authHeaders })).toBe(403);
    expect(await rawRequest('/', { Host: `evil.example:${new URL(origin).port}` })).toBe(403);
  });

  it("carries the page's requests and main's events over one WebSocket, answered by id", async () => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/api/socket`, { headers: { Origin: origin, ...host.authHeaders } });
    const messages: string[] = [];
    ws.on('message', (data) => messages.push(data.toString()));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const until = async (seen: (m: string[]) => boolean) => {
      for (let waited = 0; !seen(messages); waited += 10) {
        if (waited > 10_000) throw new Error(`Not seen: ${messages.map((m) => m.slice(0, 80)).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const reply = (id: number) => {
      const m = messages.find((x) => x.startsWith(`r${id}\n`));
      return m === undefined ? undefined : (JSON.parse(m.slice(m.indexOf('\n') + 1)) as Envelope<unknown>);
    };
    try {
      ws.send('7\nappInfo\n{}');
      ws.send('8\nnope\n{}');
      ws.send('9\nappInfo\n{not json');
      ws.send(`10\nopenFolder\n${JSON.stringify({ path: folder, recursive: true })}`);
      await until((m) => m.some((x) => x.startsWith('escanDone\n')) && [7, 8, 9, 10].every((id) => reply(id) !== undefined));
      expect(reply(7)).toMatchObject({ ok: true, value: { shell: 'host' } });
      expect(reply(8)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(reply(9)).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringMatching(/not JSON/) } });
      expect(reply(10)).toMatchObject({ ok: true, value: { root: folder } });
      const batches = messages.filter((m) => m.startsWith('escanBatch\n')).map((m) => JSON.parse(m.slice(m.indexOf('\n') + 1)) as ScanBatch);
      expect(batches.flatMap((b) => idsOf(b.ids)).sort()).toEqual(['nested/Ünïcode.png', 'red one.jpg']);
    } finally {
      ws.close();
    }
  });

  it('refuses the WebSocket to a foreign origin, without an origin or the session token, or under another host name', async () => {
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number | 'open'>((resolve, reject) => {
        const ws = new WebSocket(`${origin.replace('http', 'ws')}/api/socket`, { headers });
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', (e) => (/Unexpected server response: (\d+)/.test(e.message) ? undefined : reject(e)));
      });
    expect(await upgrade({ Origin: origin, ...host.authHeaders })).toBe('open');
    expect(await upgrade({ Origin: 'http://evil.example', ...host.authHeaders })).toBe(403);
    expect(await upgrade(host.authHeaders)).toBe(403);
    expect(await upgrade({ Origin: origin })).toBe(403);
    expect(await upgrade({ Origin: origin, Authorization: `Bearer ${'x'.repeat(host.token.length)}` })).toBe(403);
    expect(await upgrade({ Origin: origin, Host: 'evil.example', ...host.authHeaders })).toBe(403);
  });

  it('answers no other local user: without the session token, reading a file, writing an export, checking the key and media get 403', async () => {
    // What another user on the machine can send with curl: the right Host and Origin, no token.
    const forged = { Origin: origin };
    const opened = await invoke<FolderInfo>('openFolder', { path: folder });
    const folderId = (opened as { value: FolderInfo }).value.folderId;
    const secretFile = path.join(dataDir, 'not-yours.csv');
    await writeFile(secretFile, 'path,label\nsecret line,cat\n');
    const steal = await fetch(`${origin}/api/invoke/evaluation`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...forged }, body: JSON.stringify({ folderId, labelsPath: secretFile }) });
    expect(steal.status).toBe(403);
    expect(await steal.text()).not.toContain('secret line');
    const write = await fetch(`${origin}/api/invoke/exportResults`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...forged }, body: JSON.stringify({ folderId, format: 'json' }) });
    expect(write.status).toBe(403);
    const check = await fetch(`${origin}/api/invoke/checkApiKey`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...forged }, body: '{}' });
    expect(check.status).toBe(403);
    expect((await fetch(`${origin}/${thumbUrl(folderId, 'red one.jpg', 160)}`)).status).toBe(403);
    expect((await fetch(`${origin}/api/events`)).status).toBe(403);
    const wrong = await fetch(`${origin}/api/invoke/appInfo`, { method: 'POST', headers: { ...forged, Authorization: `Bearer ${'x'.repeat(host.token.length)}` }, body: '{}' });
    expect(wrong.status).toBe(403);
  });

  it('prints a URL whose token becomes an HttpOnly SameSite=Strict cookie that then opens the API', async () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/);
    const visit = await fetch(host.url, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe('/');
    const cookie = visit.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0];
    const answer = await fetch(`${origin}/api/invoke/appInfo`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: origin, Cookie: pair }, body: '{}' });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as Envelope<unknown>).ok).toBe(true);
    expect((await fetch(`${origin}/?token=wrong`, { redirect: 'manual' })).status).toBe(403);
  });

  it('says how to build the renderer when it is missing', async () => {
    const empty = await tempDir();
    try {
      await expect(startHost({ dataDir, rendererDir: empty })).rejects.toThrow(/npx vite build/);
    } finally {
      await removeDir(empty);
    }
  });
});

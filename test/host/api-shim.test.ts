import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelNames } from '../../app/contract';
import { removeDir, tempDir, writeFile, writeImage } from '../support/service-fixtures';
import { startHost, type Host } from './host';

// The shim in a real browser: the same shape as the preload's window.api, errors as plain
// {code, message}, requests and events over one WebSocket, and nothing blocked by the app's CSP.

let browser: Browser;
let host: Host;
const dirs: string[] = [];

beforeAll(async () => {
  const [dataDir, folder, rendererDir] = await Promise.all([tempDir(), tempDir(), tempDir()]);
  dirs.push(dataDir, folder, rendererDir);
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><html><head><script type="module" src="./app.js"></script></head><body></body></html>',
  );
  await writeFile(path.join(rendererDir, 'app.js'), 'window.appSawApi = typeof window.api;');
  for (let i = 0; i < 30; i++) await writeImage(path.join(folder, `img ${i}.png`), 20, 20);
  host = await startHost({ dataDir, folder, rendererDir });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await Promise.all(dirs.map(removeDir));
});

describe('host api shim in Chromium', () => {
  it('gives the page a frozen window.api of the contract shape that works end to end', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    // Console errors include CSP refusals; failed loads are checked by URL (a favicon may 404).
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(host.url);
    await page.waitForFunction(() => (window as unknown as { appSawApi?: string }).appSawApi !== undefined);

    const result = await page.evaluate(async () => {
      type Api = Record<string, (...args: unknown[]) => Promise<unknown>> & {
        on(event: string, listener: (payload: unknown) => void): () => void;
      };
      const w = window as unknown as { api: Api; appSawApi: string };
      const api = w.api;
      const batches: Array<{ ids: unknown[] }> = [];
      const done = new Promise<unknown>((resolve) => api.on('scanDone', resolve));
      api.on('scanBatch', (b) => batches.push(b as { ids: unknown[] }));
      const folder = await api.initialFolder({});
      const opened = await api.openFolder({ path: folder });
      const scanDone = await done;
      const error = await api.openFolder({ path: '/definitely/not/here' }).catch((e: unknown) => e);
      let unknownEvent = '';
      try {
        api.on('nope', () => undefined);
      } catch (e) {
        unknownEvent = (e as Error).message;
      }
      return {
        appSawApi: w.appSawApi,
        keys: Object.keys(api),
        frozen: Object.isFrozen(api),
        info: await api.appInfo({}),
        opened,
        scanDone,
        entries: batches.reduce((n, b) => n + b.ids.length, 0),
        error,
        errorIsPlain: Object.getPrototypeOf(error) === Object.prototype,
        unknownEvent,
        dropped: await (api as unknown as { chooseDropped(f: File): Promise<string> }).chooseDropped(new File([], 'x')),
      };
    });
    expect(result.appSawApi).toBe('object');
    expect(result.keys.sort()).toEqual([...channelNames, 'on', 'chooseDropped'].sort());
    expect(result.frozen).toBe(true);
    expect(result.info).toMatchObject({ shell: 'host' });
    expect(result.scanDone).toMatchObject({ total: 30, cancelled: false });
    expect(result.entries).toBe(30);
    // A path the page names is not a folder the person chose.
    expect(result.error).toEqual({ code: 'invalid_input', message: expect.stringContaining('only folders you chose') });
    expect(result.errorIsPlain).toBe(true);
    expect(result.unknownEvent).toMatch(/Unknown event/);
    expect(result.dropped).toBe('');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('delivers every scan batch whole when it is half a megabyte of two-byte letters', async () => {
    // 3,000 long names with two-byte letters: a batch of 2,000 of them is about half a megabyte,
    // which arrives over many network reads, some ending inside a letter. Each name starts with its
    // own number, so the batch is not front-coded (app/front-coded.ts) and stays that long.
    const [dataDir, folder] = await Promise.all([tempDir(), tempDir()]);
    dirs.push(dataDir, folder);
    const names: string[] = [];
    for (let d = 0; d < 3; d++) {
      mkdirSync(path.join(folder, `dossier ${d}`));
      for (let i = 0; i < 1000; i++) {
        const id = `dossier ${d}/${i} ${'ïmage-'.repeat(30)}.png`;
        writeFileSync(path.join(folder, id), '');
        names.push(id);
      }
    }
    const big = await startHost({ dataDir, folder, rendererDir: dirs[2] });
    const page = await browser.newPage();
    try {
      await page.goto(big.url);
      const got = await page.evaluate(async () => {
        const api = (window as unknown as { api: Record<string, (r: unknown) => Promise<unknown>> & { on(e: string, l: (p: unknown) => void): void } }).api;
        const ids: string[] = [];
        let batches = 0;
        const done = new Promise<unknown>((resolve) => api.on('scanDone', resolve));
        api.on('scanBatch', (b) => {
          batches++;
          ids.push(...(b as { ids: string[] }).ids);
        });
        await api.openFolder({ path: await api.initialFolder({}) });
        return { scanDone: await done, ids, batches };
      });
      expect(got.scanDone).toMatchObject({ total: 3000, cancelled: false });
      expect(got.batches).toBeGreaterThan(1);
      expect([...got.ids].sort()).toEqual([...names].sort());
    } finally {
      await page.close();
      await big.close();
    }
  });
});

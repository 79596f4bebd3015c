import { apiRef } from '../../../app/model-ref';
import { realpath } from 'node:fs/promises';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EndpointStatus, ExportDone, FolderInfo, JobProgress, ResultSummary } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import { folderIdOf } from '../../../main/services/library';
import { createResultsStore } from '../../../main/services/results';
import { startApp, type App, type Emitted } from '../../support/app-harness';
import { closedPortUrl } from '../../support/net';
import { writeColourImages, type ColourImage } from '../../support/colour-images';

// Offline start: with no network at all the app starts, shows the last folder's cached results,
// pages and exports them, and says the endpoint is unreachable. Every fetch the services make is
// recorded, so "the start-up path does not wait on the network" is checked as "it makes no request".

const model = 'colors/1';
const key = 'rf_offline_test_key_0123456789';
let tmp: string;
let folder: string;
let dataDir: string;
let images: ColourImage[];
let deadUrl: string;
let app: App | null = null;
let events: Emitted;
let requests: string[];

async function compose(): Promise<App> {
  const recording: typeof fetch = (input, init) => {
    requests.push(String(input));
    return fetch(input, init);
  };
  app = await startApp({ dataDir, events, fetch: recording });
  return app;
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-offline-'));
  folder = path.join(tmp, 'photos');
  dataDir = path.join(tmp, 'data');
  images = await writeColourImages(folder, 5);
  deadUrl = await closedPortUrl();
  events = [];
  requests = [];

  // A previous session: settings pointing at an endpoint that is now gone, the folder remembered,
  // and results for four of the five images (one an error) in the results store.
  const { call } = await compose();
  await call('setSettings', { endpointKind: 'self-hosted', endpointUrl: deadUrl, platformApiUrl: deadUrl, model });
  app!.services.ports.folders.choose(folder); // chosen in the folder dialog; a recent folder next session
  await call<FolderInfo>('openFolder', { path: folder });
  await app!.close();
  app = null;
  const store = createResultsStore({ dataDir });
  const journal = await store.journal(folderIdOf(await realpath(folder)), apiRef(deadUrl, model));
  const now = new Date().toISOString();
  for (const [i, image] of images.slice(0, 4).entries()) {
    const stat = await fs.stat(image.file);
    const base = { id: image.id, size: stat.size, mtimeMs: stat.mtimeMs, startedAt: now, finishedAt: now };
    if (i === 3) await journal.append({ ...base, status: 'error', error: { code: 'bad_image', message: 'Could not decode.' } });
    else await journal.append({ ...base, status: 'done', response: { time: 0.01, image: { width: 24, height: 16 }, predictions: [{ class: image.expected, class_id: 0, confidence: 0.9 }], top: image.expected, confidence: 0.9 } });
  }
  await store.close();
  events = [];
  requests = [];
});

afterEach(async () => {
  await app?.close();
  app = null;
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('offline start', () => {
  it('starts, reopens the last folder, pages and exports cached results without one network request', async () => {
    const { call, open } = await compose();
    await call('appInfo');
    expect(await call('getSettings')).toMatchObject({ endpointUrl: deadUrl, model });
    const initial = await call<string | null>('initialFolder');
    expect(initial).toBe(await realpath(folder));
    const folderId = await open(initial!);

    const page = await call<{ total: number; items: ResultSummary[] }>('resultsPage', { folderId, offset: 0, limit: 100 });
    expect(page.total).toBe(4);
    expect(page.items.filter((i) => i.status === 'done').map((i) => [i.id, i.scores[0][0]])).toEqual(images.slice(0, 3).map((im) => [im.id, im.expected]));
    expect(page.items[3]).toMatchObject({ id: images[3].id, status: 'error', error: { code: 'bad_image' } });
    expect(await call('resultDetail', { folderId, id: images[0].id })).toMatchObject({ status: 'done' });
    expect(await call('webImages', { folderId })).toEqual([]);

    const out = path.join(tmp, 'export.json');
    app!.answers.exportPath = out;
    const done = await call<ExportDone>('exportResults', { folderId, format: 'json' });
    expect(done).toMatchObject({ path: out, format: 'json' });
    const exported = JSON.stringify(JSON.parse(await fs.readFile(out, 'utf8')));
    for (const image of images.slice(0, 3)) expect(exported).toContain(image.id);

    expect(requests).toEqual([]);

    // Asked explicitly, the endpoint is reported unreachable, from one keyless probe.
    const status = await call<EndpointStatus>('endpointStatus');
    expect(status).toMatchObject({ reachable: false, endpoint: deadUrl, error: { code: 'network' } });
    expect(requests).toEqual([`${deadUrl}/`]);
  });

  it('opens the last folder\'s stored results while the window loads, before the page asks', async () => {
    // The journal is held open once read: its file among this process's open files (Linux).
    const journalOpen = async () => {
      for (const fd of await fs.readdir('/proc/self/fd')) {
        const target = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => '');
        if (target.startsWith(path.join(await realpath(dataDir), 'results')) && target.endsWith('.jsonl')) return true;
      }
      return false;
    };
    expect(await journalOpen()).toBe(false);
    await compose();
    for (const until = Date.now() + 10_000; !(await journalOpen()); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > until) throw new Error('The start folder\'s results journal was not opened.');
    }
    expect(requests).toEqual([]);
  });

  it('the model picker says the platform is unreachable; a run stops on the network and pushes endpointStatus', async () => {
    const { call, handlers } = await compose();
    await call('setApiKey', { key, sessionOnly: true });
    const picker = await dispatch(handlers, 'listProjects', {});
    expect(picker).toMatchObject({ ok: false, error: { code: 'network' } });
    expect(JSON.stringify(picker)).not.toContain(key);

    const info = await call<FolderInfo>('openFolder', { path: folder });
    const job = await call<JobProgress>('startJob', { folderId: info.folderId });
    expect(job.total).toBe(2); // the error image and the unclassified one
    let pushed: EndpointStatus | undefined;
    while (!(pushed = events.find((e) => e.event === 'endpointStatus')?.payload as EndpointStatus | undefined)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(pushed).toMatchObject({ reachable: false, endpoint: deadUrl, error: { code: 'network' } });
    expect(JSON.stringify(events)).not.toContain(key);
    // The cached results are untouched by the failed run.
    const page = await call<{ total: number; items: ResultSummary[] }>('resultsPage', { folderId: info.folderId, offset: 0, limit: 100 });
    expect(page.items.filter((i) => i.status === 'done')).toHaveLength(3);
  }, 60_000);
});

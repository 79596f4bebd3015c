import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobItemEvent, JobProgress, ResultSummary } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import { defaultPeerKey, type Peer } from '../../peer/server';
import type { App, Emitted } from '../../support/app-harness';
import { startPeerApp, type PeerApp } from '../../support/peer-app';
import { writeColourImages } from '../../support/colour-images';

// Web images end to end through the composition root and `dispatch` (contract validation included)
// against the test peer's hosted-image route over loopback: results stored under the URL, jobItem
// events, retries, a queue apart from folder runs, and the "Web images" list surviving a restart.

let rig: PeerApp;
let folder: string;
let peer: Peer;
let app: App | null = null;
let events: Emitted;

const blue = 'https://images.example.com/sky/blue.jpg';
const green = 'https://cdn.example.org/leaf-green.png?size=large';
const red = 'https://images.example.com/red-car.webp';

async function start(): Promise<App> {
  app = await rig.start();
  return app;
}

const top = (summary: ResultSummary | undefined) => summary?.scores[0]?.[0];

beforeEach(async () => {
  rig = await startPeerApp('cd-web-images-');
  ({ peer, events } = rig);
  folder = path.join(rig.tmp, 'photos');
  await writeColourImages(folder, 4);
});
afterEach(async () => {
  await rig.close();
  app = null;
});

describe('web images', () => {
  it('classifies pasted https URLs through the hosted-image route, stores them under the URL and lists them', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    const job = await call<JobProgress>('classifyUrls', { folderId, urls: [blue, green, blue] });
    expect(job).toMatchObject({ folderId, total: 2, state: 'running', web: true });
    expect(await finished(job.jobId)).toMatchObject({ state: 'done', done: 2, failed: 0, web: true });
    // Every progress event of the web job says so, so the folder's run bar can leave it alone.
    const progress = events.filter((e) => e.event === 'jobProgress').map((e) => e.payload as JobProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.web === true)).toBe(true);

    const items = events.filter((e) => e.event === 'jobItem').map((e) => e.payload as JobItemEvent);
    expect(items.filter((i) => i.state === 'done').map((i) => [i.id, top(i.result)]).sort()).toEqual([
      [green, 'green'],
      [blue, 'blue'],
    ].sort());
    expect(peer.stats.bodyBytes.every((n) => n === 0)).toBe(true); // no upload: the server fetches the URL

    const list = await call<ResultSummary[]>('webImages', { folderId });
    expect(list.map((s) => [s.id, s.status, top(s)])).toEqual([
      [blue, 'done', 'blue'],
      [green, 'done', 'green'],
    ]);
    const detail = await call<{ id: string; response: { top: string } }>('resultDetail', { folderId, id: green });
    expect(detail).toMatchObject({ id: green, response: { top: 'green' } });

    // Kept with the results: the list is there after a restart, without asking the server again.
    await app!.close();
    const before = peer.stats.requests;
    const again = await start();
    const reopened = await again.open(folder);
    expect((await again.call<ResultSummary[]>('webImages', { folderId: reopened })).map((s) => s.id)).toEqual([blue, green]);
    expect(peer.stats.requests).toBe(before);
  });

  it('refuses anything but https URLs, and more than 100, with a plain message before any request', async () => {
    const { call, open, finished, handlers } = await start();
    const folderId = await open(folder);
    const refuse = async (urls: unknown, pattern: RegExp) => {
      const answer = await dispatch(handlers, 'classifyUrls', { folderId, urls });
      expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      if (!answer.ok) expect(answer.error.message).toMatch(pattern);
    };
    await refuse(['http://images.example.com/a.jpg'], /not an https image URL.*https:\/\//);
    await refuse([blue, 'images.example.com/a.jpg'], /"images\.example\.com\/a\.jpg" is not an https image URL/);
    await refuse(['https://'], /not an https image URL/);
    await refuse(['https://user:secret@images.example.com/a.jpg'], /not an https image URL/);
    await refuse([], /url/i);
    await refuse(Array.from({ length: 101 }, (_, i) => `https://images.example.com/${i}.jpg`), /at most 100/);
    expect(peer.stats.requests).toBe(0);

    // Without a key the job cannot start, and says so; a later paste with a key is not held up by it.
    await call('deleteApiKey');
    expect(await dispatch(handlers, 'classifyUrls', { folderId, urls: [blue] })).toMatchObject({ ok: false, error: { code: 'no_key' } });
    await call('setApiKey', { key: defaultPeerKey, sessionOnly: true });
    const job = await call<JobProgress>('classifyUrls', { folderId, urls: [blue] });
    expect(await finished(job.jobId)).toMatchObject({ state: 'done', done: 1 });
  });

  it('retries a transient failure, and keeps a per-image error for a URL the server refuses', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    peer.fault({ kind: '503', retryAfter: 0, count: 1 });
    // The peer, like Roboflow, refuses hosts without a real domain name: a per-image 400.
    const job = await call<JobProgress>('classifyUrls', { folderId, urls: [red, 'https://localhost/x.jpg'] });
    expect(await finished(job.jobId)).toMatchObject({ state: 'done', done: 1, failed: 1 });
    expect(peer.stats.byStatus[503]).toBe(1);
    const list = await call<ResultSummary[]>('webImages', { folderId });
    expect(list.find((s) => s.id === red)).toMatchObject({ status: 'done' });
    expect(top(list.find((s) => s.id === red))).toBe('red');
    expect(list.find((s) => s.id === 'https://localhost/x.jpg')).toMatchObject({ status: 'error', error: { code: 'bad_image' } });
  });

  it('runs beside a folder run, queues batches pasted back to back, and answers cancelJob by its job id', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    const run = await call<JobProgress>('startJob', { folderId });
    expect(run.web).toBeUndefined();
    await call('pauseJob', { jobId: run.jobId });

    const first = await call<JobProgress>('classifyUrls', { folderId, urls: [blue] });
    const second = call<JobProgress>('classifyUrls', { folderId, urls: [green] });
    expect(first.jobId).not.toBe(run.jobId);
    expect(await finished(first.jobId)).toMatchObject({ state: 'done', done: 1 });
    const next = await second;
    expect(next.jobId).not.toBe(first.jobId);
    expect(await finished(next.jobId)).toMatchObject({ state: 'done', done: 1 });
    // The folder run is still paused: the web images neither waited for it nor joined it.
    expect(events.filter((e) => e.event === 'jobProgress' && (e.payload as JobProgress).jobId === run.jobId).at(-1)?.payload).toMatchObject({ state: 'paused' });
    expect((await call<ResultSummary[]>('webImages', { folderId })).map((s) => s.id)).toEqual([blue, green]);

    peer.fault({ kind: 'slow', delayMs: 5000, count: 1 });
    const slow = await call<JobProgress>('classifyUrls', { folderId, urls: [red] });
    expect(await call<JobProgress | null>('cancelJob', { jobId: slow.jobId })).toMatchObject({ jobId: slow.jobId, state: 'cancelled', web: true });
    expect(await finished(slow.jobId)).toMatchObject({ state: 'cancelled' });
    expect(await call('cancelJob', { jobId: run.jobId })).toMatchObject({ state: 'cancelled' });
  });
});

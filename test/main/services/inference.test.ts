import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, Events } from '../../../app/contract';
import { normaliseSettings, type Settings } from '../../../app/settings';
import type { JobItemEvent, JobProgress } from '../../../app/types';
import { createInference, type Inference } from '../../../main/services/inference';
import { createLibrary, type Library } from '../../../main/services/library';
import { createRateWindow } from '../../../main/services/rate-window';
import { createResultsStore, type ResultsStore } from '../../../main/services/results';
import { createRoboflowClient } from '../../../main/services/roboflow';
import { singleEngine } from '../../../main/services/engine-classifier';
import { defaultPeerKey, startPeer, type Peer, type PeerOptions } from '../../peer/server';
import { writeColourImages, type ColourImage } from '../../support/colour-images';

// The job queue against the real test peer over loopback, with real files and the real client.
// A thin wrapper around fetch counts requests in flight (instrumentation, not a mock).

interface Tracker {
  fetch: typeof fetch;
  /** Requests in flight right after each start, in start order, with its time. */
  starts: Array<{ at: number; concurrent: number }>;
  /** Start and end time of every request. */
  spans: Array<{ start: number; end: number }>;
  answers: Array<{ at: number; status: number }>;
  max: number;
}

function tracker(): Tracker {
  let inflight = 0;
  const t: Tracker = {
    starts: [],
    spans: [],
    answers: [],
    max: 0,
    fetch: async (input, init) => {
      inflight++;
      t.max = Math.max(t.max, inflight);
      const start = Date.now();
      t.starts.push({ at: start, concurrent: inflight });
      try {
        const res = await fetch(input, init);
        t.answers.push({ at: Date.now(), status: res.status });
        return res;
      } finally {
        inflight--;
        t.spans.push({ start, end: Date.now() });
      }
    },
  };
  return t;
}

interface Harness {
  peer: Peer;
  folder: string;
  images: ColourImage[];
  settings: Settings;
  store: ResultsStore;
  library: Library;
  inference: Inference;
  folderId: string;
  track: Tracker;
  events: Array<{ event: EventName; payload: unknown }>;
  run(request?: { ids?: string[]; force?: boolean; failedOnly?: boolean }): Promise<JobProgress>;
  records(): Promise<Map<string, { status: string; top?: unknown; code?: string }>>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function harness(opts: { count: number; concurrency: number; peer?: PeerOptions; settings?: Partial<Settings>; key?: string; extra?: (folder: string) => Promise<void> }): Promise<Harness> {
  const peer = await startPeer(opts.peer);
  cleanups.push(() => peer.close());
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-infer-'));
  cleanups.push(() => fs.rm(tmp, { recursive: true, force: true }));
  const folder = path.join(tmp, 'images');
  const images = await writeColourImages(folder, opts.count);
  await opts.extra?.(folder);
  const settings = normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', concurrency: opts.concurrency, timeoutMs: 1000, ...opts.settings });
  const track = tracker();
  const classifier = createRoboflowClient({ fetch: track.fetch, timeoutMs: settings.timeoutMs, authMode: settings.authMode, maxUploadSize: settings.maxUploadSize, requestLimit: Infinity });
  const store = createResultsStore({ dataDir: path.join(tmp, 'data'), settings: { get: () => settings } });
  const library = createLibrary({ emit: () => undefined });
  const events: Harness['events'] = [];
  const inference = createInference({
    classifier: singleEngine({ api: classifier }),
    results: store,
    library,
    settings: { get: () => settings },
    getApiKey: async () => opts.key ?? defaultPeerKey,
    emit: <E extends EventName>(event: E, payload: Events[E]) => void events.push({ event, payload }),
    backoffBaseMs: 40,
  });
  cleanups.push(async () => {
    await inference.close();
    await store.close();
    await library.close();
  });
  const info = await library.open(folder, true);
  await library.get(info.folderId)?.done;
  const h: Harness = {
    peer, folder, images, settings, store, library, inference, folderId: info.folderId, track, events,
    async run(request = {}) {
      const started = await inference.start({ folderId: info.folderId, ...request });
      return inference.wait(started.jobId);
    },
    async records() {
      const j = await store.journal(info.folderId, apiRef(peer.url, settings.model));
      return new Map([...j.values()].map((r) => [r.id, { status: r.status, top: r.response?.top, code: r.error?.code }]));
    },
  };
  return h;
}

const items = (h: Harness) => h.events.filter((e) => e.event === 'jobItem').map((e) => e.payload as JobItemEvent);
const progresses = (h: Harness) => h.events.filter((e) => e.event === 'jobProgress').map((e) => e.payload as JobProgress);
const until = async (check: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('inference queue', () => {
  it('keeps exactly N requests in flight as a sliding window, and classifies every image right', async () => {
    const h = await harness({ count: 24, concurrency: 6, peer: { latencyMs: 60 } });
    // Every 4th request is slow: waves would drain to 1 in flight behind it; a sliding window refills.
    h.peer.fault({ kind: 'slow', delayMs: 400, every: 4 });
    const final = await h.run();
    expect(final).toMatchObject({ state: 'done', total: 24, done: 24, failed: 0, skipped: 0, inFlight: 0 });
    expect(h.track.max).toBe(6);
    // While a slow request is out, the other five slots keep cycling (waves would start none).
    const slow = h.track.spans.filter((s) => s.end - s.start >= 350);
    expect(slow.length).toBeGreaterThanOrEqual(4);
    const startsDuring = slow.map((span) => h.track.starts.filter((s) => s.at > span.start && s.at < span.end).length);
    expect(Math.max(...startsDuring)).toBeGreaterThanOrEqual(5);
    expect(h.peer.stats.inferences).toBe(24);
    const records = await h.records();
    for (const img of h.images) expect(records.get(img.id)).toMatchObject({ status: 'done', top: img.expected });
    const done = items(h).filter((i) => i.state === 'done');
    expect(done).toHaveLength(24);
    expect(done[0].result?.scores[0][0]).toBe(h.images.find((i) => i.id === done[0].id)?.expected);
    const ps = progresses(h);
    expect(ps[0].state).toBe('running');
    expect(ps.at(-1)).toMatchObject({ state: 'done', done: 24 });
    expect(ps.length).toBeLessThan(24 + 5);
  });

  it('halves the window on 429, still finishes, and sends no image twice after success', async () => {
    const h = await harness({ count: 16, concurrency: 8, peer: { latencyMs: 80 } });
    h.peer.fault({ kind: '429', retryAfter: 0, count: 8 });
    const final = await h.run();
    expect(final).toMatchObject({ state: 'done', done: 16, failed: 0 });
    expect(h.peer.stats.byStatus[429]).toBe(8);
    const afterBurst = h.track.starts.slice(8);
    expect(Math.max(...afterBurst.map((s) => s.concurrent))).toBeLessThan(8);
    expect([...h.peer.stats.perImage.values()].every((n) => n === 1)).toBe(true);
    expect(h.peer.stats.inferences).toBe(16);
  });

  it('holds every send for a 429 Retry-After, and retries 503, drops, garbage and timeouts', async () => {
    const h = await harness({ count: 9, concurrency: 3 });
    h.peer.fault({ kind: '429', retryAfter: 1, count: 1 });
    h.peer.fault({ kind: '503', retryAfter: 0, count: 1 });
    h.peer.fault({ kind: 'drop', count: 1 });
    h.peer.fault({ kind: 'garbage', count: 1 });
    h.peer.fault({ kind: 'slow', delayMs: 1500, count: 1 });
    const final = await h.run();
    expect(final).toMatchObject({ state: 'done', done: 9, failed: 0 });
    const first429 = h.track.answers.find((a) => a.status === 429)!;
    const later = h.track.starts.filter((s) => s.at > first429.at);
    expect(later.length).toBeGreaterThan(0);
    expect(Math.min(...later.map((s) => s.at)) - first429.at).toBeGreaterThanOrEqual(990);
    expect(h.peer.stats.inferences).toBe(9);
    expect([...h.peer.stats.perImage.values()].every((n) => n === 1)).toBe(true);
  });

  it('records a per-image error after bounded attempts without stopping the job', async () => {
    const h = await harness({
      count: 5,
      concurrency: 2,
      extra: async (folder) => fs.writeFile(path.join(folder, 'zz-broken.jpg'), 'not really a jpeg'),
    });
    h.peer.fault({ kind: 'status', status: 500, count: 5 });
    const final = await h.run();
    expect(final).toMatchObject({ state: 'done', total: 6 });
    const records = await h.records();
    expect(records.get('zz-broken.jpg')?.status).toBe('error');
    expect(records.get('zz-broken.jpg')?.code).toMatch(/bad_image|unreadable_file/);
    // 5 injected 500s over 5 good images: at most one image can have used all five attempts.
    expect(final.done + final.failed).toBe(6);
    expect(final.done).toBeGreaterThanOrEqual(4);
  });

  for (const [name, setup, code] of [
    ['401 (bad key)', { key: 'rf_wrong_key_000000' }, 'unauthorized'],
    ['404 (unknown model)', { settings: { model: 'nope/3' } }, 'model_not_found'],
    ['403 (quota or forbidden)', { fault: true }, 'quota_or_forbidden'],
  ] as const) {
    it(`stops the whole job at once on a systemic ${name}`, async () => {
      const h = await harness({ count: 30, concurrency: 4, peer: { latencyMs: 30 }, ...('key' in setup ? { key: setup.key } : {}), ...('settings' in setup ? { settings: setup.settings } : {}) });
      if ('fault' in setup) h.peer.fault({ kind: 'status', status: 403, count: 1 });
      const final = await h.run();
      expect(final.state).toBe('stopped');
      expect(final.error?.code).toBe(code);
      expect(final.error?.message).not.toContain('rf_');
      // The first answer stops it: nothing beyond the first window was ever sent.
      expect(h.peer.stats.requests).toBeLessThanOrEqual(4);
      const records = await h.records();
      expect([...records.values()].filter((r) => r.status === 'error')).toHaveLength(0);
      expect(progresses(h).at(-1)).toMatchObject({ state: 'stopped', error: { code } });
    });
  }

  it('stops with one network error when the endpoint is unreachable', async () => {
    const h = await harness({ count: 6, concurrency: 2 });
    await h.peer.close();
    const final = await h.run();
    expect(final).toMatchObject({ state: 'stopped', error: { code: 'network' } });
    expect(final.done).toBe(0);
  });

  it('pauses (in-flight finish, nothing new sent), resumes, and cancels', async () => {
    const h = await harness({ count: 12, concurrency: 2, peer: { latencyMs: 120 } });
    // Two clicks on "Run" at once make one job.
    const [started, twin] = await Promise.all([h.inference.start({ folderId: h.folderId }), h.inference.start({ folderId: h.folderId })]);
    expect(twin.jobId).toBe(started.jobId);
    expect(await h.inference.start({ folderId: h.folderId })).toMatchObject({ jobId: started.jobId });
    await until(() => items(h).some((i) => i.state === 'done'));
    const paused = h.inference.pause(started.jobId);
    expect(paused?.state).toBe('paused');
    // Requests already handed to the client finish; after that nothing new goes out.
    await until(() => h.inference.get(started.jobId)?.inFlight === 0);
    const sentAtPause = h.peer.stats.requests;
    expect(sentAtPause).toBeLessThanOrEqual(h.track.starts.length);
    await new Promise((r) => setTimeout(r, 400));
    expect(h.peer.stats.requests).toBe(sentAtPause);
    expect(h.inference.get(started.jobId)).toMatchObject({ state: 'paused', inFlight: 0 });
    expect(h.inference.get(started.jobId)?.done).toBeLessThan(12);
    expect(h.inference.resume(started.jobId)?.state).toBe('running');
    const final = await h.inference.wait(started.jobId);
    expect(final).toMatchObject({ state: 'done', done: 12 });

    const afterFirst = h.peer.stats.requests;
    const second = await h.inference.start({ folderId: h.folderId, force: true });
    await until(() => h.peer.stats.requests >= afterFirst + 3);
    const cancelled = h.inference.cancel(second.jobId);
    expect(cancelled?.state).toBe('cancelled');
    const startedAtCancel = h.track.starts.length;
    const sentAtCancel = h.peer.stats.requests;
    const end = await h.inference.wait(second.jobId);
    expect(end).toMatchObject({ state: 'cancelled', inFlight: 0 });
    expect(end.done).toBeLessThan(12);
    const drained = h.peer.stats.requests;
    expect(drained).toBeLessThanOrEqual(sentAtCancel + 2);
    await new Promise((r) => setTimeout(r, 300));
    // Nothing new goes on the wire after Cancel (a request aborted mid-upload may still reach the
    // server a moment later, so the server's count is not the measure of what was sent).
    expect(h.track.starts.length).toBe(startedAtCancel);
  });

  it('skips images already done unless forced, re-runs failures, and re-runs stale images', async () => {
    const h = await harness({ count: 6, concurrency: 3, extra: async (folder) => fs.writeFile(path.join(folder, 'zz-broken.jpg'), 'no') });
    const first = await h.run();
    expect(first).toMatchObject({ done: 6, failed: 1, skipped: 0, total: 7 });
    const sent = h.peer.stats.inferences;

    expect(await h.run({ failedOnly: true })).toMatchObject({ total: 1, skipped: 6, failed: 1 });
    const again = await h.run();
    expect(again).toMatchObject({ total: 1, skipped: 6, done: 0 });
    expect(h.peer.stats.inferences).toBe(sent);

    const forced = await h.run({ force: true });
    expect(forced).toMatchObject({ total: 7, done: 6, skipped: 0 });
    expect(h.peer.stats.inferences).toBe(sent + 6);

    const touched = h.images[2];
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(touched.file, later, later);
    const info = await h.library.open(h.folder, true);
    await h.library.get(info.folderId)?.done;
    const stale = await h.run({ ids: [touched.id, h.images[0].id] });
    expect(stale).toMatchObject({ total: 1, skipped: 1, done: 1 });
    expect(h.peer.stats.inferences).toBe(sent + 7);
  });

  it('classifies web images (https ids) through the hosted-image route, journalled with the folder', async () => {
    const h = await harness({ count: 1, concurrency: 2 });
    const urls = ['https://images.example.com/blue-sky.jpg', 'https://images.example.com/green/leaf.png'];
    const final = await h.run({ ids: urls });
    expect(final).toMatchObject({ state: 'done', total: 2, done: 2 });
    const records = await h.records();
    expect(records.get(urls[0])).toMatchObject({ status: 'done', top: 'blue' });
    expect(records.get(urls[1])).toMatchObject({ status: 'done', top: 'green' });
    expect(h.peer.stats.bodyBytes.every((n) => n === 0)).toBe(true);
    expect(await h.run({ ids: urls })).toMatchObject({ total: 0, skipped: 2 });
    const page = await h.store.page(h.folderId, 0, 10);
    expect(page.items.map((i) => i.id)).toEqual(urls);
  });

  it('ends every image with a result or an error under mixed faults: none lost, none sent twice after success', async () => {
    const h = await harness({ count: 30, concurrency: 6, peer: { latencyMs: 10 } });
    h.peer.fault({ kind: 'status', status: 502, every: 5 });
    h.peer.fault({ kind: 'drop', every: 7 });
    h.peer.fault({ kind: 'garbage', every: 11 });
    h.peer.fault({ kind: '429', retryAfter: 0, every: 13 });
    const final = await h.run();
    expect(final.state).toBe('done');
    expect(final.done + final.failed).toBe(30);
    const records = await h.records();
    expect(records.size).toBe(30);
    const done = [...records.values()].filter((r) => r.status === 'done').length;
    expect(done).toBe(final.done);
    expect(h.peer.stats.inferences).toBe(done);
    expect([...h.peer.stats.perImage.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('rate window', () => {
  it('halves once per generation on 429s and grows back by one per window of successes', () => {
    const w = createRateWindow(8);
    const gens = Array.from({ length: 8 }, () => w.sent());
    for (const g of gens) w.rateLimited(g);
    expect(w.limit).toBe(4);
    const g1 = w.sent();
    w.rateLimited(g1);
    expect(w.limit).toBe(2);
    for (let i = 0; i < 2; i++) w.success(w.sent());
    expect(w.limit).toBe(3);
    for (let i = 0; i < 3 + 4 + 5 + 6 + 7 + 20; i++) w.success(w.sent());
    expect(w.limit).toBe(8);
    expect(createRateWindow(1).limit).toBe(1);
  });
});

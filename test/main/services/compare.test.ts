import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Settings } from '../../../app/settings';
import type { JobItemEvent, JobProgress, ResultRecord, ResultSummary } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import type { Peer } from '../../peer/server';
import { evaluationReport, type App, type Emitted } from '../../support/app-harness';
import { startPeerApp, type PeerApp } from '../../support/peer-app';
import { writeImage } from '../../support/service-fixtures';

// Model comparison through the composition root and `dispatch` (contract validation included)
// against the test peer over loopback: `colors/1` and `colors/3`, which swaps green and blue on
// dark images, run over the same class-folder tree; the second model's results, details and
// metrics are asked for by model, and its job's events say `compare`.

let rig: PeerApp;
let folder: string;
let peer: Peer;
let app: App | null = null;
let events: Emitted;

// Ground truth from the class folders; colors/3 gets the two dark ones wrong.
const images: Array<[id: string, rgb: { r: number; g: number; b: number }]> = [
  ['red/one.jpg', { r: 230, g: 10, b: 10 }],
  ['green/bright.jpg', { r: 10, g: 230, b: 10 }],
  ['green/dark.jpg', { r: 0, g: 90, b: 0 }],
  ['blue/bright.jpg', { r: 10, g: 10, b: 230 }],
  ['blue/dark.jpg', { r: 0, g: 0, b: 90 }],
];

async function start(): Promise<App> {
  app = await rig.start();
  return app;
}

const tops = (items: ResultSummary[]) => Object.fromEntries(items.map((s) => [s.id, s.scores[0]?.[0]]));
const itemsOf = (jobId: string) => events.filter((e) => e.event === 'jobItem' && (e.payload as JobItemEvent).jobId === jobId).map((e) => e.payload as JobItemEvent);
const progressOf = (jobId: string) => events.filter((e) => e.event === 'jobProgress' && (e.payload as JobProgress).jobId === jobId).map((e) => e.payload as JobProgress);

beforeEach(async () => {
  rig = await startPeerApp('cd-compare-');
  ({ peer, events } = rig);
  folder = path.join(rig.tmp, 'photos');
  for (const [id, rgb] of images) await writeImage(path.join(folder, id), 32, 24, rgb);
});
afterEach(async () => {
  await rig.close();
  app = null;
});

describe('model comparison', () => {
  it('keeps a compareModel setting, validated as project/version', async () => {
    const { call, handlers } = await start();
    expect(await call<Settings>('getSettings')).toMatchObject({ compareModel: '' });
    expect(await call<Settings>('setSettings', { compareModel: 'colors/3' })).toMatchObject({ model: 'colors/1', compareModel: 'colors/3' });
    for (const bad of ['colors', 'colors/x', '../colors/3', 'a/b/3']) {
      const answer = await dispatch(handlers, 'setSettings', { compareModel: bad });
      expect(answer).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      if (!answer.ok) expect(answer.error.message).toMatch(/compareModel/);
    }
    expect(await call<Settings>('setSettings', { compareModel: '' })).toMatchObject({ compareModel: '' });
    // Kept across a restart.
    await call('setSettings', { compareModel: 'colors/3' });
    await app!.close();
    expect(await (await start()).call<Settings>('getSettings')).toMatchObject({ compareModel: 'colors/3' });
  });

  it('runs a second model over the same folder beside the first, its events marked compare, its results kept apart', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);

    // Both runs at once: the comparison neither joins the folder's run nor waits for it.
    const first = await call<JobProgress>('startJob', { folderId });
    const second = await call<JobProgress>('startJob', { folderId, model: 'colors/3' });
    expect(first).toMatchObject({ model: 'colors/1', total: 5 });
    expect(first.compare).toBeUndefined();
    expect(second).toMatchObject({ model: 'colors/3', total: 5, compare: true });
    expect(second.jobId).not.toBe(first.jobId);
    expect(await finished(first.jobId)).toMatchObject({ state: 'done', done: 5, failed: 0 });
    expect(await finished(second.jobId)).toMatchObject({ state: 'done', done: 5, failed: 0, compare: true });
    expect(peer.stats.inferences).toBe(10);

    // Every event of the comparison says so; none of the folder's run does.
    expect(progressOf(second.jobId).every((p) => p.compare === true && p.model === 'colors/3')).toBe(true);
    expect(itemsOf(second.jobId).length).toBe(10); // running + done per image
    expect(itemsOf(second.jobId).every((i) => i.compare === true)).toBe(true);
    expect([...progressOf(first.jobId), ...itemsOf(first.jobId)].some((e) => 'compare' in e)).toBe(false);

    const a = await call<{ total: number; items: ResultSummary[] }>('resultsPage', { folderId, offset: 0, limit: 100 });
    const b = await call<{ total: number; items: ResultSummary[] }>('resultsPage', { folderId, offset: 0, limit: 100, model: 'colors/3' });
    expect(tops(a.items)).toEqual({ 'red/one.jpg': 'red', 'green/bright.jpg': 'green', 'green/dark.jpg': 'green', 'blue/bright.jpg': 'blue', 'blue/dark.jpg': 'blue' });
    expect(tops(b.items)).toEqual({ 'red/one.jpg': 'red', 'green/bright.jpg': 'green', 'green/dark.jpg': 'blue', 'blue/bright.jpg': 'blue', 'blue/dark.jpg': 'green' });
    // Asking by the current model's name is the same as not naming one.
    expect(await call('resultsPage', { folderId, offset: 0, limit: 100, model: 'colors/1' })).toEqual(a);

    const detail = await call<ResultRecord>('resultDetail', { folderId, id: 'green/dark.jpg', model: 'colors/3' });
    expect(detail).toMatchObject({ id: 'green/dark.jpg', status: 'done', response: { top: 'blue' } });
    expect(await call<ResultRecord>('resultDetail', { folderId, id: 'green/dark.jpg' })).toMatchObject({ response: { top: 'green' } });
    expect(await call('resultDetail', { folderId, id: 'green/dark.jpg', model: 'colors/9' })).toBeNull();

    // The same skip logic: a second comparison run sends nothing new.
    const again = await call<JobProgress>('startJob', { folderId, model: 'colors/3' });
    expect(await finished(again.jobId)).toMatchObject({ total: 0, skipped: 5, compare: true });
    // ...and re-running one failed or chosen image works by id as for the first model.
    const one = await call<JobProgress>('startJob', { folderId, model: 'colors/3', ids: ['blue/dark.jpg'], force: true });
    expect(await finished(one.jobId)).toMatchObject({ total: 1, done: 1, compare: true });
    expect(peer.stats.inferences).toBe(11);

    // Stored per model: the comparison's results survive a restart with no request.
    await app!.close();
    const restarted = await start();
    const reopened = await restarted.open(folder);
    const kept = await restarted.call<{ items: ResultSummary[] }>('resultsPage', { folderId: reopened, offset: 0, limit: 100, model: 'colors/3' });
    expect(tops(kept.items)).toEqual(tops(b.items));
    expect(peer.stats.inferences).toBe(11);
  });

  it('answers pause, resume and cancel for a comparison job by its id', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    peer.fault({ kind: 'slow', delayMs: 400, count: 2 });
    const job = await call<JobProgress>('startJob', { folderId, model: 'colors/3' });
    expect(await call('pauseJob', { jobId: job.jobId })).toMatchObject({ jobId: job.jobId, state: 'paused', compare: true });
    expect(await call('resumeJob', { jobId: job.jobId })).toMatchObject({ state: 'running', compare: true });
    expect(await call('cancelJob', { jobId: job.jobId })).toMatchObject({ state: 'cancelled', compare: true });
    expect(await finished(job.jobId)).toMatchObject({ state: 'cancelled', compare: true });
  });

  it('stops a comparison with an unknown model at once, and leaves the first model alone', async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    const job = await call<JobProgress>('startJob', { folderId, model: 'colors/9' });
    expect(await finished(job.jobId)).toMatchObject({ state: 'stopped', compare: true, error: { code: 'model_not_found' } });
    expect((await call<{ total: number }>('resultsPage', { folderId, offset: 0, limit: 10 })).total).toBe(0);
  });

  it("evaluates either model's stored results against the class folders", async () => {
    const { call, open, finished } = await start();
    const folderId = await open(folder);
    for (const model of [undefined, 'colors/3']) {
      const job = await call<JobProgress>('startJob', { folderId, model });
      await finished(job.jobId);
    }
    const a = await evaluationReport(app!, rig.tmp, { folderId });
    const b = await evaluationReport(app!, rig.tmp, { folderId, model: 'colors/3' });
    expect(a).toMatchObject({ model: 'colors/1', accuracy: 1 });
    expect(b).toMatchObject({ model: 'colors/3', accuracy: 0.6 });
    // Rows: true blue, green, red; columns: predicted blue, green, red.
    expect(b.confusion).toEqual({ labels: ['blue', 'green', 'red'], matrix: [[1, 1, 0], [1, 1, 0], [0, 0, 1]], no_prediction: [0, 0, 0] });
    // A model never run has nothing to judge: every image is pending, none dropped.
    const none = await evaluationReport(app!, rig.tmp, { folderId, model: 'colors/9' });
    expect(none.counts).toMatchObject({ images: 5, not_classified: 5, evaluated: 0 });
  });

  it('validates the model of every channel before any service runs', async () => {
    const { open, handlers } = await start();
    const folderId = await open(folder);
    const requests: Array<[string, Record<string, unknown>]> = [
      ['startJob', { folderId }],
      ['resultsPage', { folderId, offset: 0, limit: 10 }],
      ['resultDetail', { folderId, id: 'red/one.jpg' }],
      ['groundTruth', { folderId }],
      ['exportEvaluation', { folderId, kind: 'report' }],
    ];
    for (const [channel, request] of requests) {
      for (const model of ['colors', '', '../../etc/3', 'colors/3?api_key=x', 'x'.repeat(300) + '/1']) {
        const answer = await dispatch(handlers, channel, { ...request, model });
        expect(answer, `${channel} ${model.slice(0, 20)}`).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
        if (!answer.ok) expect(answer.error.message).toMatch(/model/);
      }
    }
    expect(peer.stats.requests).toBe(0);
  });
});

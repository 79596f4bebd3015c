import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendPlan, SendProgress, SentMark } from '../../../app/dataset-send';
import type { JobProgress } from '../../../app/types';
import { defaultPeerKey } from '../../peer/server';
import { startPeerApp, type PeerApp } from '../../support/peer-app';
import { writeColourImages } from '../../support/colour-images';

// The send channels through the app's composition root and handler table (contract validation
// included), as the window uses them: classify, correct, plan, send, see the marks.

let rig: PeerApp | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe('send channels', () => {
  it('plans, sends corrected images with the session key, emits progress, and marks what was sent', async () => {
    rig = await startPeerApp('cd-send-app-');
    const app = await rig.start();
    await app.call('setSettings', { platformApiUrl: rig.peer.url });
    const folder = path.join(rig.tmp, 'images');
    const images = await writeColourImages(folder, 3);
    const folderId = await app.open(folder);
    const job = await app.call<JobProgress>('startJob', { folderId });
    expect((await app.finished(job.jobId)).done).toBe(3);
    await app.call('setCorrection', { folderId, ids: [images[0].id], label: 'blue' });

    const request = { folderId, project: 'colors', only: 'corrected', labels: 'corrections', split: 'test', batch: 'From the app', tags: ['colors-1'] };
    const plan = await app.call<SendPlan>('sendPlan', request);
    expect(plan).toMatchObject({ items: [{ id: images[0].id, labels: ['blue'], origin: 'correction' }], problem: null, workspace: 'test-workspace' });

    const started = await app.call<SendProgress>('startSend', request);
    await app.until(() => app.events.some((e) => e.event === 'sendProgress' && (e.payload as SendProgress).sendId === started.sendId && (e.payload as SendProgress).state === 'done'));
    expect(rig.peer.dataset.images()).toEqual([expect.objectContaining({ name: images[0].id, labels: ['blue'], split: 'test', batch: 'From the app' })]);
    expect(rig.peer.dataset.images()[0].predictionFlag).toBe(false);

    const marks = await app.call<SentMark[]>('sentMarks', { folderId });
    expect(marks).toEqual([expect.objectContaining({ id: images[0].id, project: 'colors', split: 'test', batch: 'From the app', labels: ['blue'] })]);
    // No event or answer carries the key.
    expect(JSON.stringify(app.events)).not.toContain(defaultPeerKey);
  });

  it('validates the request at the door: a tag with "/" and an unknown preset are refused', async () => {
    rig = await startPeerApp('cd-send-app-');
    const app = await rig.start();
    const folder = path.join(rig.tmp, 'images');
    await writeColourImages(folder, 1);
    const folderId = await app.open(folder);
    const base = { folderId, project: 'colors', only: 'corrected', labels: 'corrections', split: 'train', batch: 'b', tags: [] };
    await expect(app.call('sendPlan', { ...base, only: 'everything' })).rejects.toThrow(/invalid_input/);
    await expect(app.call('startSend', { ...base, tags: ['colors/1'] })).rejects.toThrow(/invalid_input: .*may only hold/);
    expect(rig.peer.dataset.stats.requests).toEqual({ upload: 0, annotate: 0 });
  });
});

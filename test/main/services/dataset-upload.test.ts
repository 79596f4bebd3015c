import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SendProgress, SendRequest } from '../../../app/dataset-send';
import { normaliseSettings, type Settings } from '../../../app/settings';
import type { ResultRecord } from '../../../app/types';
import { buildCliLibrary, type CliLibrary } from '../../../main/cli/cli-library';
import { createCorrections, type CorrectionsService } from '../../../main/services/corrections';
import { createDatasetUpload, type DatasetUpload } from '../../../main/services/dataset-upload';
import { createDatasetClient } from '../../../main/services/dataset-upload-client';
import { createSentJournals } from '../../../main/services/dataset-upload-journal';
import { createResultsStore, type ResultsStore } from '../../../main/services/results';
import { decodeImage, inferenceResponse, models } from '../../peer/classify';
import sharp from 'sharp';
import { noisyJpeg } from '../../peer/images';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { writeColourImages, type ColourImage } from '../../support/colour-images';
import { removeDir, tempDir } from '../../support/service-fixtures';

// Sending images and labels to a Roboflow project, against the real test peer over loopback with
// real files, the real corrections and results journals. Every test checks what the peer's
// project ends up holding (bytes, labels, split, batch, tags), not just the requests.

interface Harness {
  peer: Peer;
  dir: string;
  folder: string;
  folderId: string;
  images: ColourImage[];
  settings: Settings;
  library: CliLibrary;
  results: ResultsStore;
  corrections: CorrectionsService;
  service: DatasetUpload;
  events: SendProgress[];
  /** A new service over the same data dir (a restart after a crash). */
  restart(options?: { maxUploadBytes?: number }): Promise<DatasetUpload>;
}

let h: Harness | null = null;

afterEach(async () => {
  if (!h) return;
  await h.service.close();
  await h.corrections.close();
  await h.results.close();
  await h.peer.close();
  await removeDir(h.dir);
  h = null;
});

/** `count` colour images in class-named subfolders (red/…, green/…, blue/…, in turn), each classified by
 *  the peer's colors/1 model (its real answer to the real pixels) and stored as a result. */
async function setup(count = 6, options: { maxUploadBytes?: number; key?: string; classify?: boolean; flat?: boolean; multi?: boolean } = {}): Promise<Harness> {
  const peer = await startPeer();
  const dir = await tempDir('cd-send-');
  const folder = path.join(dir, 'images');
  // Each image in the folder named after its colour (the ground truth the model agrees with), or
  // all at the top (no ground truth).
  const images: ColourImage[] = [];
  for (const img of await writeColourImages(folder, count)) {
    if (options.flat) {
      images.push(img);
      continue;
    }
    const id = `${img.expected}/${path.basename(img.file)}`;
    await fs.mkdir(path.join(folder, img.expected), { recursive: true });
    await fs.rename(img.file, path.join(folder, id));
    images.push({ ...img, id, file: path.join(folder, id) });
  }
  if (options.multi) {
    // Yellow is both red and green to the multi-label model.
    const file = path.join(folder, 'yellow.jpg');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 230, g: 220, b: 20 } } }).jpeg().toFile(file);
    images.push({ id: 'yellow.jpg', file, expected: 'red' });
  }
  images.sort((a, b) => a.id.localeCompare(b.id));
  const model = options.multi ? 'colors-multi/1' : 'colors/1';
  const settings = normaliseSettings({ platformApiUrl: peer.url, endpointKind: 'self-hosted', endpointUrl: peer.url, model, concurrency: 2 });
  const library = await buildCliLibrary([folder], true);
  const folderId = library.folders[0].info.folderId;
  const dataDir = path.join(dir, 'data');
  const results = createResultsStore({ dataDir });
  if (options.classify !== false) {
    const journal = await results.journal(folderId, apiRef(peer.url, model));
    for (const img of images) {
      const stat = await fs.stat(img.file);
      const spec = options.multi ? models['colors-multi']['1'] : models.colors['1'];
      const response = inferenceResponse(await decodeImage(await fs.readFile(img.file)), spec, 0.01, 0);
      const record: ResultRecord = { id: img.id, size: stat.size, mtimeMs: stat.mtimeMs, status: 'done', response, startedAt: '', finishedAt: '' };
      await journal.append(record);
    }
  }
  const corrections = createCorrections({ dataDir });
  const events: SendProgress[] = [];
  const make = (o: { maxUploadBytes?: number } = {}) =>
    createDatasetUpload({
      library,
      results,
      corrections,
      settings: { get: () => settings },
      journals: createSentJournals({ dataDir }),
      client: createDatasetClient(),
      getApiKey: async () => options.key ?? defaultPeerKey,
      emit: (p) => events.push(p),
      backoffBaseMs: 5,
      backoffCapMs: 20,
      maxUploadBytes: o.maxUploadBytes ?? options.maxUploadBytes,
    });
  h = { peer, dir, folder, folderId, images, settings, library, results, corrections, service: make(), events, restart: async (o) => {
    await h!.service.close();
    h!.service = make(o);
    return h!.service;
  } };
  return h;
}

const request = (x: Harness, over: Partial<SendRequest> = {}): SendRequest => ({
  folderId: x.folderId,
  project: 'colors',
  only: 'corrected',
  labels: 'corrections',
  split: 'train',
  batch: 'Classify Desk test',
  tags: ['colors-1'],
  ...over,
});

async function send(x: Harness, over: Partial<SendRequest> = {}): Promise<SendProgress> {
  const started = await x.service.start(request(x, over));
  return x.service.wait(started.sendId);
}

/** What the peer's project holds, by our image id (the upload name is the id with '/' -> '_'). */
function held(x: Harness, project = 'colors') {
  return new Map(x.peer.dataset.images(project).map((img) => [img.name.replace(/_/, '/'), img]));
}

describe('sending corrected images', () => {
  it('lands each corrected image in the project with its corrected label, split, batch and tags, as its original bytes', async () => {
    const x = await setup(3);
    const [a, b] = x.images;
    await x.corrections.set(x.folderId, [a.id], { label: 'green' });
    await x.corrections.set(x.folderId, [b.id], { label: 'blue' });
    await x.corrections.set(x.folderId, [x.images[2].id], { flagged: true });

    const final = await send(x, { split: 'valid', batch: 'Desk 27 Nov', tags: ['colors-1', 'reviewed:yes'] });
    expect(final).toMatchObject({ state: 'done', total: 2, done: 2, failed: 0, skipped: 0 });
    const project = held(x);
    expect([...project.keys()].sort()).toEqual([a.id, b.id].sort());
    for (const [img, label] of [[a, 'green'], [b, 'blue']] as const) {
      const got = project.get(img.id)!;
      expect(got).toMatchObject({ labels: [label], split: 'valid', batch: 'Desk 27 Nov', tags: ['colors-1', 'reviewed:yes'], predictionFlag: false, mime: 'image/jpeg' });
      expect(got.bytes.equals(await fs.readFile(img.file))).toBe(true);
      expect(got.labelFile).toBe(`${got.id}.txt`);
    }
    expect(x.events.at(-1)).toMatchObject({ state: 'done', done: 2 });
  });

  it('a re-send sends nothing new; a changed correction relabels without uploading again', async () => {
    const x = await setup(3);
    const [a, b] = x.images;
    await x.corrections.set(x.folderId, [a.id, b.id], { label: 'green' });
    await send(x);
    const before = { ...x.peer.dataset.stats.requests };

    const again = await send(x);
    expect(again).toMatchObject({ state: 'done', total: 0, done: 0, skipped: 2 });
    expect(x.peer.dataset.stats.requests).toEqual(before);

    // A new service (the app restarted) reads the journal from disk.
    await x.restart();
    await x.corrections.set(x.folderId, [b.id], { label: 'red' });
    const relabel = await send(x);
    expect(relabel).toMatchObject({ total: 1, done: 1, skipped: 1 });
    expect(x.peer.dataset.stats.requests).toEqual({ upload: before.upload, annotate: before.annotate + 1 });
    expect(held(x).get(b.id)?.labels).toEqual(['red']);
    expect(x.peer.dataset.images()).toHaveLength(2);
  });

  it('an image the project already holds (duplicate bytes) still gets the corrected label, replacing the old one', async () => {
    const x = await setup(3);
    const [a] = x.images;
    // Someone uploaded and labelled these bytes before.
    const form = new FormData();
    form.set('name', 'earlier.jpg');
    form.set('split', 'test');
    form.set('file', new Blob([new Uint8Array(await fs.readFile(a.file))], { type: 'image/jpeg' }));
    const earlier = (await (await fetch(`${x.peer.url}/dataset/colors/upload?api_key=${defaultPeerKey}`, { method: 'POST', body: form })).json()) as { id: string };
    await fetch(`${x.peer.url}/dataset/colors/annotate/${earlier.id}?api_key=${defaultPeerKey}&name=x.txt`, { method: 'POST', body: 'red', headers: { 'content-type': 'text/plain' } });

    await x.corrections.set(x.folderId, [a.id], { label: 'blue' });
    const final = await send(x);
    expect(final).toMatchObject({ done: 1, duplicates: 1 });
    expect(x.peer.dataset.images()).toHaveLength(1);
    expect(x.peer.dataset.images()[0]).toMatchObject({ id: earlier.id, labels: ['blue'], name: 'earlier.jpg' });
  });
});

describe('choosing images and labels', () => {
  it('presets pick corrected, flagged, mistakes, below-threshold or all; labels come from corrections, then folder truth, then predictions only when asked', async () => {
    const x = await setup(3);
    const [a, b, c] = x.images; // blue/…, green/…, red/… (sorted by id)
    await x.corrections.set(x.folderId, [a.id], { label: 'green' }); // a correction against the blue folder: a mistake of the model
    await x.corrections.set(x.folderId, [b.id], { flagged: true });
    const plan = (over: Partial<SendRequest>) => x.service.plan(request(x, over));

    const corrected = await plan({ only: 'corrected' });
    expect(corrected.items).toEqual([{ id: a.id, labels: ['green'], origin: 'correction' }]);
    expect(corrected).toMatchObject({ workspace: 'test-workspace', classes: ['red', 'green', 'blue'], problem: null, unknown: [] });

    // A flagged image has no corrected label: with corrections only, it is counted, not sent.
    expect(await plan({ only: 'flagged' })).toMatchObject({ items: [], noLabel: 1 });
    expect((await plan({ only: 'flagged', labels: 'truth' })).items).toEqual([{ id: b.id, labels: ['green'], origin: 'truth' }]);

    // The model is right about every image by its colour, so the only mistake is the corrected one.
    expect((await plan({ only: 'mistakes', labels: 'truth' })).items.map((i) => i.id)).toEqual([a.id]);
    // Solid colours score ~0.998: nothing is below 0.4, everything is below 0.99999.
    expect((await plan({ only: 'below-threshold', labels: 'truth' })).items).toEqual([]);
    expect((await plan({ only: 'below-threshold', labels: 'truth', threshold: 0.99999 })).items).toHaveLength(x.images.length);

    const all = await plan({ only: 'all', labels: 'truth' });
    expect(all.byOrigin).toEqual({ correction: 1, truth: x.images.length - 1, prediction: 0 });
    expect(all.items.find((i) => i.id === c.id)).toEqual({ id: c.id, labels: ['red'], origin: 'truth' });
    for (const item of all.items) if (item.id !== a.id) expect(item.labels).toEqual([item.id.split('/')[0]]);

    // Only the selection; an image at the top (no class folder) and without a result has no label.
    await fs.copyFile(x.images.at(-1)!.file, path.join(x.folder, 'stray.jpg'));
    x.library.folders[0].entries.set('stray.jpg', { id: 'stray.jpg', name: 'stray.jpg', size: 1, mtimeMs: 1 });
    expect(await plan({ only: 'all', labels: 'predictions', ids: ['stray.jpg', c.id] })).toMatchObject({ items: [{ id: c.id }], noLabel: 1 });
  });

  it('sends the model\'s predictions only when asked, and never replaces a label the project has (409 keeps it)', async () => {
    const x = await setup(3, { flat: true });
    const [a] = x.images;
    // The project already labels a's bytes "blue" (a person did, in Roboflow).
    const form = new FormData();
    form.set('name', 'a.jpg');
    form.set('split', 'train');
    form.set('file', new Blob([new Uint8Array(await fs.readFile(a.file))], { type: 'image/jpeg' }));
    const earlier = (await (await fetch(`${x.peer.url}/dataset/colors/upload?api_key=${defaultPeerKey}`, { method: 'POST', body: form })).json()) as { id: string };
    await fetch(`${x.peer.url}/dataset/colors/annotate/${earlier.id}?api_key=${defaultPeerKey}&name=x.txt`, { method: 'POST', body: 'blue', headers: { 'content-type': 'text/plain' } });

    // Without truth, and without asking for predictions, nothing has a label.
    expect(await x.service.plan(request(x, { only: 'all', labels: 'truth' }))).toMatchObject({ items: [], noLabel: 3 });
    const final = await send(x, { only: 'all', labels: 'predictions', ids: x.images.slice(0, 3).map((i) => i.id) });
    expect(final).toMatchObject({ state: 'done', done: 3, kept: 1, duplicates: 1 });
    expect(x.peer.dataset.stats.conflicts).toBe(1);
    const project = held(x);
    expect(x.peer.dataset.images().find((i) => i.id === earlier.id)?.labels).toEqual(['blue']);
    for (const img of x.images.slice(1, 3)) expect(project.get(img.id)).toMatchObject({ labels: [img.expected], predictionFlag: false });
    expect(project.get(x.images[1].id)?.labels).toEqual(['green']);
    // The kept label is journalled: sending again changes nothing.
    expect(await send(x, { only: 'all', labels: 'predictions', ids: x.images.slice(0, 3).map((i) => i.id) })).toMatchObject({ total: 0, skipped: 3 });
  });
});

describe('multi-label', () => {
  it('sends a multi-label model\'s labels comma-joined to a multi-label project, and refuses a single-label one', async () => {
    const x = await setup(3, { flat: true, multi: true });
    const req = { only: 'all', labels: 'predictions', project: 'colors-multi' } as const;
    expect((await x.service.plan(request(x, { ...req, project: 'colors' }))).problem?.message).toMatch(/single-label project, but these labels come from a multi-label model/);
    const final = await send(x, req);
    expect(final).toMatchObject({ state: 'done', done: 4 });
    expect(x.peer.dataset.byName('colors-multi', 'yellow.jpg')?.labels?.sort()).toEqual(['green', 'red']);
    expect(x.peer.dataset.byName('colors-multi', 'img-0002.jpg')?.labels).toEqual(['blue']);
  });
});

describe('checking the project', () => {
  it('refuses a missing project, a non-classification project and one of the other kind, before sending anything', async () => {
    const x = await setup(3);
    await x.corrections.set(x.folderId, [x.images[0].id], { label: 'red' });
    expect((await x.service.plan(request(x, { project: 'no-such' }))).problem).toMatchObject({ code: 'not_found' });
    expect((await x.service.plan(request(x, { project: 'traffic-signs' }))).problem?.message).toMatch(/object-detection project/);
    expect((await x.service.plan(request(x, { project: 'colors-multi' }))).problem?.message).toMatch(/multi-label project, but the model is single-label/);
    await expect(x.service.start(request(x, { project: 'traffic-signs' }))).rejects.toMatchObject({ code: 'invalid_input' });
    expect(x.peer.dataset.stats.requests).toEqual({ upload: 0, annotate: 0 });
  });

  it('lists labels the project lacks; a map sends them as a project class or skips them', async () => {
    const x = await setup(3);
    const [a, b, c] = x.images;
    await x.corrections.set(x.folderId, [a.id, b.id], { label: 'yellow' });
    await x.corrections.set(x.folderId, [c.id], { label: 'Red' }); // matches "red" ignoring case
    const plan = await x.service.plan(request(x));
    expect(plan.unknown).toEqual([{ label: 'yellow', count: 2 }]);
    expect(plan.items).toEqual([{ id: c.id, labels: ['red'], origin: 'correction' }]);
    await expect(x.service.start(request(x))).rejects.toThrow(/yellow \(2\).*Map each to a class/);

    const skipped = await x.service.plan(request(x, { classMap: { yellow: null } }));
    expect(skipped).toMatchObject({ unknown: [], skippedByMap: 2, items: [{ id: c.id }] });
    await send(x, { classMap: { yellow: 'green' } });
    const project = held(x);
    expect(project.get(a.id)?.labels).toEqual(['green']);
    expect(project.get(c.id)?.labels).toEqual(['red']);
  });

  it('refuses tags Roboflow would refuse, and a bad split or batch', async () => {
    const x = await setup(1);
    await expect(x.service.plan(request(x, { tags: ['colors/1'] }))).rejects.toThrow(/may only hold/);
    await expect(x.service.plan(request(x, { tags: ['x'.repeat(65)] }))).rejects.toThrow(/longer than 64/);
    await expect(x.service.plan(request(x, { batch: ' ' }))).rejects.toThrow(/batch name/);
    await expect(x.service.plan(request(x, { split: 'holdout' as 'train' }))).rejects.toThrow(/train, valid or test/);
  });
});

describe('faults', () => {
  it('429 with Retry-After, 5xx, garbage and answers lost after the server acted: every image lands once with its label', async () => {
    const x = await setup(4);
    await x.corrections.set(x.folderId, x.images.map((i) => i.id), { label: 'green' });
    x.peer.dataset.fault({ kind: '429', route: 'upload', retryAfter: 0 });
    x.peer.dataset.fault({ kind: 'drop', route: 'upload', afterEffect: true, every: 2, count: 2 });
    x.peer.dataset.fault({ kind: 'status', status: 502, route: 'annotate', body: 'text' });
    x.peer.dataset.fault({ kind: 'garbage', route: 'annotate' });
    x.peer.dataset.fault({ kind: 'drop', route: 'annotate', afterEffect: true });
    const final = await send(x);
    expect(final).toMatchObject({ state: 'done', done: x.images.length, failed: 0 });
    expect(x.peer.dataset.images()).toHaveLength(x.images.length);
    for (const img of x.peer.dataset.images()) expect(img.labels).toEqual(['green']);
    // The uploads whose answer was lost came back as duplicates and were still labelled.
    expect(final.duplicates).toBeGreaterThanOrEqual(1);
    expect(x.peer.dataset.stats.uploads).toBe(x.images.length);
  });

  it('a send cut off mid-run (cancelled, then the app restarted) resumes without losing or repeating anything', async () => {
    const x = await setup(6);
    await x.corrections.set(x.folderId, x.images.map((i) => i.id), { label: 'blue' });
    // Slow answers keep requests in flight when the cut comes.
    x.peer.dataset.fault({ kind: 'slow', delayMs: 150, every: 1 });
    const started = await x.service.start(request(x));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (x.events.some((e) => e.done >= 3)) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    x.service.cancel(started.sendId);
    const cut = await x.service.wait(started.sendId);
    expect(cut.state).toBe('cancelled');
    expect(cut.done).toBeLessThan(x.images.length);

    // What the cut send confirmed is journalled: the restarted app does not send it again. An upload
    // cut in flight may still reach the server after the cancel: count from when it has gone quiet.
    let uploadsBefore = -1;
    while (uploadsBefore !== x.peer.dataset.stats.requests.upload) {
      uploadsBefore = x.peer.dataset.stats.requests.upload;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await x.restart();
    const resumed = await send(x);
    expect(resumed).toMatchObject({ state: 'done', failed: 0 });
    expect(resumed.skipped).toBeGreaterThanOrEqual(cut.done);
    expect(resumed.skipped + resumed.done).toBe(x.images.length);
    // Nothing the cut send uploaded goes up again: an image it uploaded but had not labelled yet
    // (its journal line says "uploaded") is only labelled now, so uploads may be fewer than sends.
    expect(x.peer.dataset.stats.requests.upload - uploadsBefore).toBeLessThanOrEqual(x.images.length - resumed.skipped);
    // The project holds each image once, labelled; an upload cut in flight came back as a duplicate.
    expect(x.peer.dataset.stats.uploads).toBe(x.images.length);
    expect(x.peer.dataset.images().map((i) => i.labels)).toEqual(x.images.map(() => ['blue']));
  });

  it('a per-image failure (413) fails that image only; a systemic answer (403, 423) stops the send at once with one message', async () => {
    const x = await setup(3);
    await x.corrections.set(x.folderId, x.images.map((i) => i.id), { label: 'red' });
    x.peer.dataset.fault({ kind: 'status', status: 413, route: 'upload' });
    const partial = await send(x);
    expect(partial).toMatchObject({ state: 'done', done: x.images.length - 1, failed: 1 });
    expect(partial.failures).toEqual([{ id: expect.any(String), error: expect.objectContaining({ code: 'too_large' }) }]);
    expect(x.peer.dataset.images()).toHaveLength(x.images.length - 1);

    // The failed one goes on the next send.
    await x.corrections.set(x.folderId, x.images.map((i) => i.id), { label: 'green' });
    for (const status of [403, 423]) {
      x.peer.dataset.fault({ kind: 'status', status, every: 1 });
      const before = x.peer.dataset.stats.requests.upload + x.peer.dataset.stats.requests.annotate;
      const stopped = await send(x);
      expect(stopped.state).toBe('stopped');
      expect(stopped.error?.message).toMatch(status === 403 ? /refused the upload \(403\)/ : /locked this workspace \(423\)/);
      expect(stopped.error?.message).not.toContain(defaultPeerKey);
      // Concurrency 2: at most the two requests already in flight, never the rest.
      expect(x.peer.dataset.stats.requests.upload + x.peer.dataset.stats.requests.annotate - before).toBeLessThanOrEqual(2);
      x.peer.dataset.clearFaults();
    }
  });

  it('a bad key stops before anything is sent', async () => {
    const x = await setup(1, { key: 'rf_wrong_key_000000000' });
    await x.corrections.set(x.folderId, [x.images[0].id], { label: 'red' });
    const plan = await x.service.plan(request(x));
    expect(plan.problem).toMatchObject({ code: 'unauthorized' });
    expect(plan.problem?.message).not.toContain('rf_wrong_key_000000000');
    await expect(x.service.start(request(x))).rejects.toMatchObject({ code: 'unauthorized' });
    expect(x.peer.dataset.stats.requests).toEqual({ upload: 0, annotate: 0 });
  });
});

describe('large images', () => {
  it('re-encodes a file above the upload limit to a JPEG that fits; smaller files go as their bytes', async () => {
    const x = await setup(1, { maxUploadBytes: 60_000 });
    const big = path.join(x.folder, 'red', 'big.png');
    await fs.writeFile(big, await sharpNoisePng());
    x.library.folders[0].entries.set('red/big.png', { id: 'red/big.png', name: 'big.png', ...(await fs.stat(big)) });
    await x.corrections.set(x.folderId, ['red/big.png', x.images[0].id], { label: 'red' });
    const final = await send(x);
    expect(final).toMatchObject({ done: 2, failed: 0 });
    const stored = x.peer.dataset.byName('colors', 'red_big.jpg');
    expect(stored).toMatchObject({ mime: 'image/jpeg', labels: ['red'] });
    expect(stored!.bytes.length).toBeLessThanOrEqual(60_000);
    expect(stored!.bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(x.peer.dataset.byName('colors', x.images[0].id.replace('/', '_'))!.bytes.equals(await fs.readFile(x.images[0].file))).toBe(true);
  });
});

async function sharpNoisePng(): Promise<Buffer> {
  const jpeg = await noisyJpeg(400, 300);
  const sharp = (await import('sharp')).default;
  return sharp(jpeg).png().toBuffer();
}

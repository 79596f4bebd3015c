import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { colours, solidJpeg, solidPng } from './images';
import { defaultPeerKey, startPeer, type Peer } from './server';

// The peer's dataset routes must follow Roboflow's upload / annotate protocol, since the send-back
// tests trust what it ends up holding. These tests speak raw HTTP to it.

const key = defaultPeerKey;
let peer: Peer;
let red: Buffer;
let green: Buffer;

async function upload(project: string, bytes: Buffer, fields: { name?: string; split?: string } = {}, query = `api_key=${key}`) {
  const form = new FormData();
  if (fields.name !== '') form.set('name', fields.name ?? 'red.jpg');
  form.set('split', fields.split ?? 'train');
  form.set('file', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), fields.name ?? 'red.jpg');
  const res = await fetch(`${peer.url}/dataset/${project}/upload?${query}`, { method: 'POST', body: form });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function annotate(project: string, id: string, body: string, query = '&overwrite=true', type = 'text/plain') {
  const res = await fetch(`${peer.url}/dataset/${project}/annotate/${id}?api_key=${key}&name=${id}.txt${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': type },
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  peer = await startPeer({ maxUploadBytes: 200_000 });
  [red, green] = await Promise.all([solidJpeg(40, 30, colours.red), solidPng(20, 20, colours.green)]);
});
afterAll(() => peer.close());
beforeEach(() => peer.reset());

describe('upload', () => {
  it('stores the bytes with their name, split, batch and tags, and answers a duplicate by SHA-256', async () => {
    const first = await upload('colors', red, { name: 'a/red.jpg', split: 'valid' }, `api_key=${key}&batch=Desk%20run&tag=colors-1&tag=reviewed`);
    expect(first).toMatchObject({ status: 200, json: { success: true } });
    const id = first.json.id as string;
    const [held] = peer.dataset.images('colors');
    expect(held).toMatchObject({ id, name: 'a/red.jpg', split: 'valid', batch: 'Desk run', tags: ['colors-1', 'reviewed'], labels: null, mime: 'image/jpeg' });
    expect(held.bytes.equals(red)).toBe(true);

    const again = await upload('colors', red, { name: 'other.jpg' });
    expect(again).toEqual({ status: 200, json: { duplicate: true, id } });
    // Other bytes, or the same bytes in another project, are new images.
    expect((await upload('colors', green)).json.success).toBe(true);
    expect((await upload('colors-multi', red)).json.success).toBe(true);
    expect(peer.dataset.images()).toHaveLength(3);
    expect(peer.dataset.stats).toMatchObject({ uploads: 3, duplicates: 1 });
  });

  it('answers 401 for a bad key, 404 for an unknown project, 413 above the limit, 400 for a bad form', async () => {
    expect((await upload('colors', red, {}, 'api_key=wrong')).status).toBe(401);
    expect((await upload('colors', red, {}, '')).status).toBe(401);
    const missing = await upload('no-such-project', red);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { message: expect.any(String), type: 'NotFoundException' } });
    expect((await upload('colors', Buffer.alloc(300_000, 1))).status).toBe(413);
    expect((await upload('colors', red, { split: 'holdout' })).status).toBe(400);
    expect((await upload('colors', red, { name: '' })).status).toBe(400);
    expect((await upload('colors', red, {}, `api_key=${key}&tag=a/b`)).status).toBe(400);
    expect(peer.dataset.images()).toHaveLength(0);
  });
});

describe('annotate', () => {
  it('labels an image, refuses to relabel without overwrite (409), and records a prediction flag', async () => {
    const id = (await upload('colors', red)).json.id as string;
    expect(await annotate('colors', id, 'red', '')).toEqual({ status: 200, json: { success: true } });
    expect(peer.dataset.images()[0]).toMatchObject({ labels: ['red'], labelFile: `${id}.txt`, predictionFlag: false });

    const conflict = await annotate('colors', id, 'green', '');
    expect(conflict.status).toBe(409);
    expect(peer.dataset.images()[0].labels).toEqual(['red']);
    expect((await annotate('colors', id, 'green')).status).toBe(200);
    expect(peer.dataset.images()[0].labels).toEqual(['green']);

    expect((await annotate('colors', id, 'red,blue', '&overwrite=true&prediction=true')).status).toBe(200);
    expect(peer.dataset.images()[0]).toMatchObject({ labels: ['red', 'blue'], predictionFlag: true });
    expect(peer.dataset.stats).toMatchObject({ annotations: 3, conflicts: 1 });
  });

  it('answers 404 for an unknown image and 400 for a body that is not a class name as text/plain', async () => {
    const id = (await upload('colors', red)).json.id as string;
    expect((await annotate('colors', 'nope', 'red')).status).toBe(404);
    expect((await annotate('colors-multi', id, 'red')).status).toBe(404);
    expect((await annotate('colors', id, 'red', '', 'application/json')).status).toBe(400);
    expect((await annotate('colors', id, ' , ')).status).toBe(400);
    expect(peer.dataset.images()[0].labels).toBeNull();
  });
});

describe('project info and faults', () => {
  it('names the workspace of a key and each project\'s type, kind and classes', async () => {
    const ws = (await (await fetch(`${peer.url}/?api_key=${key}`)).json()) as { workspace: string };
    expect(ws.workspace).toBe('test-workspace');
    const single = (await (await fetch(`${peer.url}/test-workspace/colors?api_key=${key}`)).json()) as { project: Record<string, unknown> };
    expect(single.project).toMatchObject({ type: 'classification', classes: { red: 10, green: 10, blue: 10 } });
    expect(single.project.multilabel).toBeUndefined();
    const multi = (await (await fetch(`${peer.url}/test-workspace/colors-multi?api_key=${key}`)).json()) as { project: Record<string, unknown> };
    expect(multi.project).toMatchObject({ multilabel: true });
  });

  it('a fault before the effect stores nothing; one after it stores the image and loses only the answer', async () => {
    peer.dataset.fault({ kind: '429', route: 'upload', retryAfter: 2 });
    const limited = await fetch(`${peer.url}/dataset/colors/upload?api_key=${key}`, { method: 'POST', body: new FormData() });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(peer.dataset.images()).toHaveLength(0);

    peer.dataset.fault({ kind: 'drop', route: 'upload', afterEffect: true });
    await expect(upload('colors', red)).rejects.toThrow();
    expect(peer.dataset.images()).toHaveLength(1);
    // The client's retry learns the id as a duplicate.
    expect((await upload('colors', red)).json).toEqual({ duplicate: true, id: peer.dataset.images()[0].id });

    peer.dataset.fault({ kind: 'status', status: 423, route: 'annotate' });
    expect((await annotate('colors', peer.dataset.images()[0].id, 'red')).status).toBe(423);
    expect(peer.dataset.images()[0].labels).toBeNull();
    expect(peer.dataset.stats.requests).toEqual({ upload: 3, annotate: 1 });
  });
});

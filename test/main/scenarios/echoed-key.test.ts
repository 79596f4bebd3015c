import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress, ResultRecord } from '../../../app/types';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { startApp, type App } from '../../support/app-harness';
import { writeColourImages } from '../../support/colour-images';

// A server that echoes the key inside a successful (200) answer, as some proxies and debugging
// builds do: the answer is kept "verbatim" for the detail view and exports, but never the key.

const key = defaultPeerKey;
let tmp: string;
let peer: Peer;
let app: App;

/** The peer's answers, with the key it was sent echoed into fields of every 200 body. */
const echoing: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.status !== 200 || !new URL(String(input)).searchParams.has('confidence')) return res;
  const body = (await res.json()) as Record<string, unknown>;
  const echoed = { ...body, debug: { request: String(input), [`seen ${key}`]: [`Bearer ${key}`] } };
  return new Response(JSON.stringify(echoed), { status: 200, headers: { 'content-type': 'application/json' } });
};

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-echo-'));
  await writeColourImages(path.join(tmp, 'photos'), 3);
  peer = await startPeer();
  app = await startApp({ dataDir: path.join(tmp, 'data'), fetch: echoing });
});

afterAll(async () => {
  await app?.close();
  await peer?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('a key echoed in a 200 answer', () => {
  it('is cut out of stored results, the detail view and exports', async () => {
    await app.call('setSettings', { endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1' });
    await app.call('setApiKey', { key, sessionOnly: true });
    const folderId = await app.open(path.join(tmp, 'photos'));
    const job = await app.call<JobProgress>('startJob', { folderId });
    expect(await app.finished(job.jobId)).toMatchObject({ state: 'done', done: 3 });

    const page = await app.call<{ items: Array<{ id: string }> }>('resultsPage', { folderId, offset: 0, limit: 10 });
    const detail = await app.call<ResultRecord>('resultDetail', { folderId, id: page.items[0].id });
    // The echo is still there (the response is otherwise verbatim), without the key.
    expect(JSON.stringify(detail.response)).toContain('[redacted]');
    expect(JSON.stringify(detail)).not.toContain(key);

    app.answers.exportPath = path.join(tmp, 'exports', 'results.json');
    await fs.mkdir(path.dirname(app.answers.exportPath), { recursive: true });
    await app.call('exportResults', { folderId, format: 'json' });
    app.answers.exportPath = path.join(tmp, 'exports', 'results.csv');
    await app.call('exportResults', { folderId, format: 'csv' });

    const files = [...(await filesUnder(path.join(tmp, 'data'))), ...(await filesUnder(path.join(tmp, 'exports')))];
    expect(files.some((f) => f.endsWith('results.json'))).toBe(true);
    const leaks: string[] = [];
    for (const file of files) if ((await fs.readFile(file)).toString('latin1').includes(key)) leaks.push(path.relative(tmp, file));
    expect(leaks).toEqual([]);
  });
});

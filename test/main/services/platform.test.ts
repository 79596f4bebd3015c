import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformClient, isClassificationType } from '../../../main/services/platform';
import { defaultPeerKey, startPeer, type Peer } from '../../peer/server';
import { failure } from '../../support/app-failure';
import { closedPortUrl } from '../../support/net';

const key = defaultPeerKey;
const wrongKey = 'rf_not_a_real_key_4242';
let peer: Peer;
let html: Server;
let htmlUrl: string;

beforeAll(async () => {
  peer = await startPeer();
  // A captive portal or proxy page: 200 with HTML, the key echoed back.
  html = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<html><body>Sign in to the network first (${req.url})</body></html>`);
  });
  await new Promise<void>((resolve) => html.listen(0, '127.0.0.1', resolve));
  htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await peer.close();
  await new Promise((resolve) => html.close(resolve));
});

describe('platform client', () => {
  it('names the workspace of a valid key', async () => {
    expect(await createPlatformClient({ baseUrl: peer.url }).workspace(key)).toBe('test-workspace');
  });

  it('says unauthorized for a bad key, without the key (the server echoes it)', async () => {
    const err = await failure(createPlatformClient({ baseUrl: peer.url }).workspace(wrongKey));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/API key/);
    expect(JSON.stringify(err.toJSON())).not.toContain(wrongKey);
  });

  it('lists projects with their types, and versions newest first with the trained flag', async () => {
    const platform = createPlatformClient({ baseUrl: `${peer.url}/` });
    const projects = await platform.projects(key, 'test-workspace');
    expect(projects.map((p) => [p.id, p.type])).toEqual([
      ['colors', 'classification'],
      ['colors-multi', 'multi-label-classification'],
      ['traffic-signs', 'object-detection'],
    ]);
    expect(projects.filter((p) => isClassificationType(p.type)).map((p) => p.id)).toEqual(['colors', 'colors-multi']);
    expect(projects[0]).toMatchObject({ fullId: 'test-workspace/colors', name: 'Colors', versions: 2 });
    expect(await platform.versions(key, 'test-workspace', 'colors')).toEqual([
      { id: 'test-workspace/colors/2', version: 2, model: 'colors/2', trained: false },
      { id: 'test-workspace/colors/1', version: 1, model: 'colors/1', trained: true },
    ]);
  });

  it('reports an unknown workspace or project as not_found', async () => {
    const platform = createPlatformClient({ baseUrl: peer.url });
    expect((await failure(platform.projects(key, 'someone-else'))).code).toBe('not_found');
    expect((await failure(platform.versions(key, 'test-workspace', 'nope'))).code).toBe('not_found');
    expect((await failure(platform.projects(wrongKey, 'test-workspace'))).code).toBe('unauthorized');
  });

  it('reports an unreachable API as network and a non-JSON answer as bad_response, never with the key', async () => {
    const closed = await closedPortUrl();
    const offline = await failure(createPlatformClient({ baseUrl: closed }).workspace(key));
    expect(offline.code).toBe('network');
    expect(offline.message).toContain('ECONNREFUSED');
    const portal = await failure(createPlatformClient({ baseUrl: htmlUrl }).projects(key, 'test-workspace'));
    expect(portal.code).toBe('bad_response');
    const invalid = await failure(createPlatformClient({ baseUrl: `not a url ${key}` }).workspace(key));
    expect(invalid.code).toBe('invalid_input');
    for (const err of [offline, portal, invalid]) expect(err.message).not.toContain(key);
  });
});

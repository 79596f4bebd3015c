import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, Events } from '../../../app/contract';
import type { EndpointStatus, JobItemEvent, JobProgress } from '../../../app/types';
import { createEndpointMonitor } from '../../../main/services/endpoint-status';
import { startPeer, type Peer } from '../../peer/server';
import { closedPortUrl } from '../../support/net';

// The endpoint probe over loopback: the test peer (reachable), a server that records what the
// probe sends (no key, ever), a refused port and a silent socket (unreachable), and the monitor's
// reading of job events.

let peer: Peer;
let closedUrl: string;
let silent: Server;
let silentUrl: string;
const sockets = new Set<Socket>();

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  peer = await startPeer();
  closedUrl = await closedPortUrl();
  // Accepts connections and never answers: what a black-holed route looks like.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  silentUrl = await listen(silent);
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await peer.close();
});

type Emitted = Array<{ event: EventName; payload: unknown }>;

function monitor(baseUrl: () => string, opts: { timeoutMs?: number; cooldownMs?: number } = {}) {
  const emitted: Emitted = [];
  const emit = <E extends EventName>(event: E, payload: Events[E]) => void emitted.push({ event, payload });
  // Counts probes that have come back (answered or failed), so a test can wait for them.
  const probes = { started: 0, settled: 0 };
  const countingFetch: typeof fetch = (input, init) => {
    probes.started++;
    return fetch(input, init).finally(() => probes.settled++);
  };
  const m = createEndpointMonitor({ baseUrl, emit, fetch: countingFetch, timeoutMs: opts.timeoutMs ?? 2000, cooldownMs: opts.cooldownMs ?? 0 });
  const statuses = () => emitted.filter((e) => e.event === 'endpointStatus').map((e) => e.payload as EndpointStatus);
  return { m, emitted, statuses, probes };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('endpoint probe', () => {
  it('calls any HTTP answer reachable: the peer answers its base URL with 404 and that is enough', async () => {
    const before = peer.stats.requests;
    const { m } = monitor(() => `${peer.url}/`);
    const status = await m.check();
    expect(status).toMatchObject({ reachable: true, endpoint: peer.url });
    expect(status.error).toBeUndefined();
    expect(Number.isNaN(Date.parse(status.checkedAt))).toBe(false);
    expect(peer.stats.requests).toBe(before + 1);
  });

  it('sends one HEAD of the base URL with no key in the URL or the headers', async () => {
    const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];
    const recorder = createHttpServer((req, res) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(401).end();
    });
    const url = await listen(recorder as unknown as Server);
    try {
      const status = await createEndpointMonitor({ baseUrl: () => `${url}/infer`, emit: () => undefined }).check();
      expect(status.reachable).toBe(true);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ method: 'HEAD', url: '/infer/' });
      expect(seen[0].headers.authorization).toBeUndefined();
      expect(seen[0].url).not.toMatch(/api_key/);
    } finally {
      await new Promise<void>((resolve) => recorder.close(() => resolve()));
    }
  });

  it('reports a refused connection as network and a silent host as timeout, naming the endpoint', async () => {
    const refused = await monitor(() => closedUrl).m.check();
    expect(refused).toMatchObject({ reachable: false, endpoint: closedUrl, error: { code: 'network' } });
    expect(refused.error?.message).toContain(closedUrl);
    expect(refused.error?.message).toMatch(/Cached results stay available/);

    const slow = await monitor(() => silentUrl, { timeoutMs: 300 }).m.check();
    expect(slow).toMatchObject({ reachable: false, error: { code: 'timeout' } });
  });

  it('asks for an endpoint URL when none is set and refuses non-http schemes', async () => {
    expect(await monitor(() => '').m.check()).toMatchObject({ reachable: false, error: { code: 'invalid_input', message: expect.stringMatching(/Settings/) } });
    expect(await monitor(() => 'ftp://example.com').m.check()).toMatchObject({ reachable: false, error: { code: 'invalid_input' } });
  });
});

describe('endpoint monitor', () => {
  const progress = (state: JobProgress['state'], error?: JobProgress['error']): JobProgress => ({
    jobId: 'j1', folderId: '0123456789abcdef', model: 'colors/1', state, total: 2, done: 0, failed: 0, skipped: 0, inFlight: 0, rate: 0, etaSeconds: null,
    ...(error ? { error } : {}),
  });
  const item = (state: JobItemEvent['state'], code?: 'network' | 'timeout' | 'bad_image'): JobItemEvent => ({
    jobId: 'j1', folderId: '0123456789abcdef', id: 'a.jpg', state,
    ...(code ? { result: { id: 'a.jpg', status: 'error', stale: false, multiLabel: false, scores: [], error: { code, message: 'failed' } } } : {}),
  });

  it('forwards every job event, says unreachable when a job stops on the network and reachable once an image succeeds', async () => {
    const { m, emitted, statuses } = monitor(() => closedUrl);
    m.jobEmit('jobProgress', progress('running'));
    m.jobEmit('jobItem', item('done'));
    expect(statuses()).toEqual([]); // nothing was wrong, so nothing to say
    m.jobEmit('jobProgress', progress('stopped', { code: 'network', message: 'The endpoint could not be reached.' }));
    expect(statuses()).toEqual([expect.objectContaining({ reachable: false, endpoint: closedUrl, error: { code: 'network', message: 'The endpoint could not be reached.' } })]);
    m.jobEmit('jobItem', item('done'));
    expect(statuses().at(-1)).toMatchObject({ reachable: true });
    expect(statuses().at(-1)?.error).toBeUndefined();
    expect(emitted.filter((e) => e.event !== 'endpointStatus')).toHaveLength(4);
  });

  it('probes when an image gives up on the network, and stays quiet when the endpoint still answers', async () => {
    let base = peer.url;
    const { m, statuses, probes } = monitor(() => base);
    m.jobEmit('jobItem', item('error', 'bad_image')); // not a network failure: no probe
    expect(probes.started).toBe(0);
    m.jobEmit('jobItem', item('error', 'timeout')); // a slow image on a healthy endpoint: one probe
    m.jobEmit('jobItem', item('error', 'timeout')); // while that probe runs: no second one
    expect(probes.started).toBe(1);
    await until(() => probes.settled === 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(statuses()).toEqual([]);

    base = closedUrl;
    m.jobEmit('jobItem', item('error', 'network'));
    await until(() => statuses().length > 0);
    expect(statuses()).toEqual([expect.objectContaining({ reachable: false, error: expect.objectContaining({ code: 'network' }) })]);
  });
});

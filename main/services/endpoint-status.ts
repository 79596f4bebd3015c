import type { EventName, Events } from '../../app/contract';
import { AppFailure, type AppError, type ErrorCode } from '../../app/errors';
import type { EndpointStatus } from '../../app/types';
import type { Emit } from '../ports';
import { innermostReason } from './http-errors';
import { redactSecrets } from './redact';

// Is the inference endpoint reachable? A probe sends one HEAD to the base URL, with no key and a
// short timeout: any HTTP answer (even 401, 404 or 405) means the host is there; only a network
// error or the timeout means it is not. Jobs tell too: the monitor watches their events, probes
// when an image gave up on the network, and says "reachable again" as soon as an image succeeds,
// so the renderer's offline banner follows reality without polling.

export interface EndpointMonitor {
  check(): Promise<EndpointStatus>;
  /** The emit to give job queues: forwards every event to `emit` and watches job outcomes. */
  jobEmit: Emit;
}

export interface EndpointMonitorOptions {
  /** The endpoint base URL of the moment ('' when none is set). */
  baseUrl: () => string;
  emit: Emit;
  fetch?: typeof fetch;
  /** Probe timeout (default 3 s): long enough for a slow LAN server, short enough for a banner. */
  timeoutMs?: number;
  /** Least time between two probes caused by job failures (default 5 s). */
  cooldownMs?: number;
  clock?: () => number;
}

const networkCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['network', 'timeout']);

export function createEndpointMonitor(opts: EndpointMonitorOptions): EndpointMonitor {
  const doFetch = opts.fetch ?? fetch;
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const cooldownMs = opts.cooldownMs ?? 5000;
  let lastReachable: boolean | undefined;
  let probing: Promise<EndpointStatus> | null = null;
  let lastProbeAt = Number.NEGATIVE_INFINITY;

  const status = (endpoint: string, error?: AppError): EndpointStatus => ({
    reachable: !error,
    checkedAt: new Date(clock()).toISOString(),
    endpoint: redactSecrets(endpoint),
    ...(error ? { error: { code: error.code, message: redactSecrets(error.message) } } : {}),
  });

  async function probe(): Promise<EndpointStatus> {
    const base = opts.baseUrl().trim().replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(`${base}/`);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      const message = base
        ? `The endpoint URL "${base}" is not a valid http(s) address. Fix it in Settings.`
        : 'No endpoint URL is set. Enter one in Settings (for a self-hosted server, http://host:9001).';
      return status(base, { code: 'invalid_input', message });
    }
    const shown = url.origin;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await doFetch(url, { method: 'HEAD', redirect: 'manual', signal });
      await res.body?.cancel().catch(() => undefined);
      return status(base);
    } catch (error) {
      if (signal.aborted) {
        return status(base, {
          code: 'timeout',
          message: `The endpoint ${shown} did not answer within ${Math.max(1, Math.round(timeoutMs / 1000))} s. Cached results stay available; check your network, then run again.`,
        });
      }
      return status(base, {
        code: 'network',
        message: `The endpoint ${shown} cannot be reached (${innermostReason(error)}). Cached results stay available; check your network or the endpoint URL in Settings, then run again.`,
      });
    }
  }

  function check(): Promise<EndpointStatus> {
    probing ??= probe().then((result) => {
      probing = null;
      lastProbeAt = clock();
      lastReachable = result.reachable;
      return result;
    });
    return probing;
  }

  function tell(result: EndpointStatus): void {
    lastReachable = result.reachable;
    opts.emit('endpointStatus', result);
  }

  function observe<E extends EventName>(event: E, payload: Events[E]): void {
    if (event === 'jobProgress') {
      // The queue stops a job with 'network' when the endpoint never answered at all.
      const progress = payload as Events['jobProgress'];
      if (progress.state === 'stopped' && progress.error && networkCodes.has(progress.error.code)) {
        tell(status(opts.baseUrl(), progress.error));
      }
      return;
    }
    if (event !== 'jobItem') return;
    const item = payload as Events['jobItem'];
    if (item.state === 'done' && lastReachable === false) {
      tell(status(opts.baseUrl()));
    } else if (item.state === 'error' && item.result?.error && networkCodes.has(item.result.error.code)) {
      // One image gave up on the network after its retries: ask the endpoint itself, at most once
      // per cooldown, so a slow image does not raise a banner and a dead network raises one.
      if (probing || clock() - lastProbeAt < cooldownMs) return;
      const before = lastReachable;
      void check().then((result) => {
        if (!result.reachable || before === false) tell(result);
      });
    }
  }

  return {
    check,
    jobEmit: (event, payload) => {
      opts.emit(event, payload);
      observe(event, payload);
    },
  };
}

/**
 * Does the inference server at `baseUrl` accept `key`? One POST to the inference route with no
 * image (`{model}` or a placeholder): a server that refuses the key answers 401/403 before it
 * looks at anything else; any other answer (400 for the missing image, 404 for an unknown model,
 * 200) means the key got through. Throws an AppFailure saying what to do; the key never appears.
 */
export async function checkKeyAtEndpoint(opts: { baseUrl: string; key: string; model?: string; fetch?: typeof fetch; timeoutMs?: number }): Promise<void> {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const base = opts.baseUrl.trim().replace(/\/+$/, '');
  const model = opts.model && /^[a-z0-9][a-z0-9._-]*\/[0-9]+$/i.test(opts.model) ? opts.model : 'key-check/1';
  const [project, version] = model.split('/');
  const fail = (code: ErrorCode, message: string) => new AppFailure(code, redactSecrets(message, [opts.key]));
  let url: URL;
  try {
    url = new URL(`${base}/${encodeURIComponent(project)}/${version}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw fail('invalid_input', `The endpoint URL "${base}" is not a valid http(s) address. Fix it in Settings.`);
  }
  const shown = url.origin;
  url.searchParams.set('api_key', opts.key);
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  try {
    const res = await doFetch(url, { method: 'POST', headers: { authorization: `Bearer ${opts.key}` }, redirect: 'manual', signal });
    status = res.status;
    await res.body?.cancel().catch(() => undefined);
  } catch (error) {
    if (signal.aborted) throw fail('timeout', `The endpoint ${shown} did not answer within ${Math.round(timeoutMs / 1000)} s. Check that the server is running, then check again.`);
    throw fail('network', `The endpoint ${shown} cannot be reached (${innermostReason(error)}). Check the URL and that the server is running, then check again.`);
  }
  if (status === 401 || status === 403) {
    throw fail('unauthorized', `The endpoint ${shown} did not accept this API key. Copy it again from your workspace settings in Roboflow (Settings > API Keys).`);
  }
}

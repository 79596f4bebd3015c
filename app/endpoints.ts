import { parseUrl } from './url';

// Where requests go: the endpoint kinds, their documented base URLs and request limits, the auth
// modes, and the checks on a base URL and a model id. Plain rules, shared by main's settings
// schema (settings.ts) and the page, which thus loads no zod.

export const endpointKinds = ['serverless', 'hosted', 'self-hosted'] as const;
export type EndpointKind = (typeof endpointKinds)[number];

/** The documented base URL of each endpoint kind (roboflow-protocol.md). */
export const endpointBaseUrls: Record<Exclude<EndpointKind, 'self-hosted'>, string> = {
  serverless: 'https://serverless.roboflow.com',
  hosted: 'https://classify.roboflow.com',
};

/** Request-size limit per endpoint kind, in bytes of request body (base64 included). */
export const endpointRequestLimits: Record<EndpointKind, number> = {
  serverless: 20 * 1024 * 1024,
  hosted: 5 * 1024 * 1024,
  'self-hosted': Number.POSITIVE_INFINITY,
};

export const authModes = ['bearer+query', 'bearer', 'query'] as const;
export type AuthMode = (typeof authModes)[number];

export const modelIdPattern = /^[a-z0-9][a-z0-9._-]*\/[0-9]+$/i;

/** True for an absolute http(s) URL with a host and no credentials, query or fragment. */
export function isHttpBaseUrl(text: string): boolean {
  const url = parseUrl(text);
  if (!url) return false;
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password && !url.search && !url.hash;
}

/** True when `url` is plain http to a host other than this machine: a key sent there (header or
 *  query) crosses the network readable, which the UI and the CLI say once. */
export function isPlainHttpOffMachine(url: string): boolean {
  const parsed = parseUrl(url.trim());
  if (!parsed || parsed.protocol !== 'http:') return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1');
}

/** The base URL requests go to for the given settings ('' when self-hosted has no URL yet). */
export function endpointBase(settings: { endpointKind: EndpointKind; endpointUrl: string }): string {
  const custom = settings.endpointUrl.trim().replace(/\/+$/, '');
  if (custom || settings.endpointKind === 'self-hosted') return custom;
  return endpointBaseUrls[settings.endpointKind];
}

/** Which stored results the settings mean, as one string: the engine, the endpoint (its kind and
 *  base URL) and the model. Settings with the same key show the same results; another key, another
 *  model's (the page then loads them, and evaluates them again). */
export function resultsKey(settings: { engine: string; endpointKind: EndpointKind; endpointUrl: string; model: string }): string {
  return JSON.stringify([settings.engine, settings.endpointKind, endpointBase(settings), settings.model]);
}

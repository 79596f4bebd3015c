import { describe, expect, it } from 'vitest';
import { appError } from '../../../../app/errors';
import type { EndpointStatus } from '../../../../app/types';
import { EndpointStore } from '../../../../renderer/src/stores/endpoint.svelte';
import { fakeApi } from '../../../support/fake-api';

const status = (reachable: boolean, checkedAt: string, code?: 'network' | 'timeout' | 'invalid_input'): EndpointStatus => ({
  reachable,
  checkedAt,
  endpoint: 'https://serverless.roboflow.com',
  ...(code ? { error: appError(code, code) } : {}),
});

describe('EndpointStore', () => {
  it('is offline only when the endpoint cannot be reached over the network', async () => {
    const api = fakeApi({ endpointStatus: () => status(false, '2026-01-01T00:00:01Z', 'network') });
    const store = new EndpointStore(api);
    expect(store.offline).toBe(false);
    expect(await store.check()).toBe(false);
    expect(store.offline).toBe(true);
    expect(store.checking).toBe(false);

    api.handle('endpointStatus', () => status(true, '2026-01-01T00:00:02Z'));
    expect(await store.check()).toBe(true);
    expect(store.offline).toBe(false);
  });

  it('a malformed URL is a Settings problem, not an outage', async () => {
    const store = new EndpointStore(fakeApi({ endpointStatus: () => status(false, '2026-01-01T00:00:01Z', 'invalid_input') }));
    expect(await store.check()).toBe(true);
    expect(store.offline).toBe(false);
    expect(store.status?.reachable).toBe(false);
  });

  it('a failed probe counts as the error it carries, keeping the endpoint last probed', async () => {
    const api = fakeApi({ endpointStatus: () => status(true, '2000-01-01T00:00:00Z') });
    const store = new EndpointStore(api);
    await store.check();
    api.handle('endpointStatus', () => Promise.reject(appError('timeout', 'No answer in 5 s')));
    expect(await store.check()).toBe(false);
    expect(store.status?.error?.message).toBe('No answer in 5 s');
    expect(store.status?.endpoint).toBe('https://serverless.roboflow.com');
  });

  it('a late probe answer does not overwrite a newer push', () => {
    const store = new EndpointStore(fakeApi());
    store.onStatus(status(false, '2026-01-01T00:00:05Z', 'network'));
    store.onStatus(status(true, '2026-01-01T00:00:01Z'));
    expect(store.offline).toBe(true);
    store.onStatus(status(true, '2026-01-01T00:00:06Z'));
    expect(store.offline).toBe(false);
  });
});

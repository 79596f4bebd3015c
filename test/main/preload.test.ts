import { build } from 'esbuild';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelNames, eventNames, ipcName } from '../../app/contract';

// The real preload, bundled as it ships (one CommonJS file), run against a recording stand-in for
// Electron's renderer modules: what it exposes is exactly the contract, frozen, and nothing else.

interface Recorded {
  exposed: Record<string, unknown>;
  invoked: Array<[string, unknown]>;
  listeners: Map<string, Array<(...args: unknown[]) => void>>;
  answer: unknown;
}

async function loadPreload(): Promise<Recorded> {
  const result = await build({
    entryPoints: ['main/preload.ts'],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    external: ['electron'],
  });
  const code = result.outputFiles[0].text;
  const recorded: Recorded = { exposed: {}, invoked: [], listeners: new Map(), answer: { ok: true, value: 42 } };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (recorded.exposed[key] = value) },
    ipcRenderer: {
      invoke: async (channel: string, payload: unknown) => {
        recorded.invoked.push([channel, payload]);
        return recorded.answer;
      },
      on: (channel: string, listener: (...args: unknown[]) => void) => {
        recorded.listeners.set(channel, [...(recorded.listeners.get(channel) ?? []), listener]);
      },
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => {
        recorded.listeners.set(channel, (recorded.listeners.get(channel) ?? []).filter((l) => l !== listener));
      },
    },
    webUtils: { getPathForFile: () => '/dropped/folder' },
  };
  const sandboxRequire = (name: string) => {
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require "${name}"`);
  };
  const module = { exports: {} };
  runInNewContext(code, { require: sandboxRequire, module, exports: module.exports, console });
  return recorded;
}

describe('preload', () => {
  let recorded: Recorded;
  beforeAll(async () => {
    recorded = await loadPreload();
  });

  it('exposes one frozen `api` with exactly the contract channels, `on` and `pathForFile`', () => {
    expect(Object.keys(recorded.exposed)).toEqual(['api']);
    const api = recorded.exposed.api as Record<string, unknown>;
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual([...channelNames, 'on', 'pathForFile'].sort());
  });

  it('invokes the namespaced channel and unwraps a successful envelope', async () => {
    const api = recorded.exposed.api as Record<string, (arg?: unknown) => Promise<unknown>>;
    recorded.answer = { ok: true, value: { version: '1' } };
    await expect(api.appInfo({})).resolves.toEqual({ version: '1' });
    expect(recorded.invoked.at(-1)).toEqual([ipcName('appInfo'), {}]);
  });

  it('rejects with a plain {code, message} object that survives contextBridge', async () => {
    const api = recorded.exposed.api as Record<string, (arg?: unknown) => Promise<unknown>>;
    recorded.answer = { ok: false, error: { code: 'unauthorized', message: 'Check your API key.' } };
    await expect(api.checkApiKey({})).rejects.toEqual({ code: 'unauthorized', message: 'Check your API key.' });
  });

  it('subscribes only to contract events and can unsubscribe', () => {
    const api = recorded.exposed.api as {
      on: (event: string, listener: (payload: unknown) => void) => () => void;
      pathForFile: (file: unknown) => string;
    };
    const seen: unknown[] = [];
    const off = api.on(eventNames[0], (payload) => seen.push(payload));
    const channel = ipcName(eventNames[0]);
    for (const listener of recorded.listeners.get(channel) ?? []) listener({}, { n: 1 });
    off();
    for (const listener of recorded.listeners.get(channel) ?? []) listener({}, { n: 2 });
    expect(seen).toEqual([{ n: 1 }]);
    expect(() => api.on('notAnEvent', () => {})).toThrow(/Unknown event/);
    expect(api.pathForFile({})).toBe('/dropped/folder');
  });
});

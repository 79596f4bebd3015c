import { build } from 'esbuild';
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelNames, eventNames, ipcName } from '../../app/contract';
import { droppedChannel } from '../../app/ipc-names';

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
    // Only a File the OS dropped has a path; one made by page script has none.
    webUtils: { getPathForFile: (file: { fromOs?: boolean }) => (file?.fromOs ? '/dropped/folder' : '') },
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

  it('exposes one frozen `api` with exactly the contract channels, `on` and `chooseDropped`', () => {
    expect(Object.keys(recorded.exposed)).toEqual(['api']);
    const api = recorded.exposed.api as Record<string, unknown>;
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual([...channelNames, 'on', 'chooseDropped'].sort());
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
    };
    const seen: unknown[] = [];
    const off = api.on(eventNames[0], (payload) => seen.push(payload));
    const channel = ipcName(eventNames[0]);
    for (const listener of recorded.listeners.get(channel) ?? []) listener({}, { n: 1 });
    off();
    for (const listener of recorded.listeners.get(channel) ?? []) listener({}, { n: 2 });
    expect(seen).toEqual([{ n: 1 }]);
    expect(() => api.on('notAnEvent', () => {})).toThrow(/Unknown event/);
  });

  it('passes a dropped item\'s path to main itself, on a channel off the page\'s contract; the page gives only the File', async () => {
    const api = recorded.exposed.api as { chooseDropped: (file: unknown) => Promise<string> };
    expect(api.chooseDropped.length).toBe(1);
    recorded.invoked.length = 0;
    recorded.answer = '/dropped/folder';
    await expect(api.chooseDropped({ fromOs: true })).resolves.toBe('/dropped/folder');
    expect(recorded.invoked).toEqual([[droppedChannel, '/dropped/folder']]);
    expect(channelNames.map((name) => ipcName(name))).not.toContain(droppedChannel);
    // A File made by page script (or a string posing as a path) has no path: main hears nothing.
    recorded.invoked.length = 0;
    await expect(api.chooseDropped(new File([], 'x'))).resolves.toBe('');
    await expect(api.chooseDropped('/home/user/.ssh')).resolves.toBe('');
    // The contract types the argument as `{ name }`: a plain object with a name and a path field is no dropped file either.
    await expect(api.chooseDropped({ name: '.ssh', path: '/home/user/.ssh' })).resolves.toBe('');
    expect(recorded.invoked).toEqual([]);
  });
});

import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Envelope } from '../app/contract';
import { channelNames, eventNames, ipcName, type EventName } from '../app/ipc-names';

// The whole bridge: one method per contract channel, `on` for the contract's events, and the path
// of a dropped file. Nothing else of Electron or Node reaches the page.

const api: Record<string, unknown> = {};

for (const name of channelNames) {
  api[name] = async (request: unknown) => {
    const envelope = (await ipcRenderer.invoke(ipcName(name), request ?? {})) as Envelope<unknown>;
    if (envelope.ok) return envelope.value;
    // A plain object, not an Error: contextBridge drops an Error's custom `code` property.
    throw { code: envelope.error.code, message: envelope.error.message };
  };
}

api.on = (event: EventName, listener: (payload: unknown) => void) => {
  if (!eventNames.includes(event)) throw new Error(`Unknown event "${String(event)}".`);
  const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
  ipcRenderer.on(ipcName(event), wrapped);
  return () => {
    ipcRenderer.removeListener(ipcName(event), wrapped);
  };
};

api.pathForFile = (file: File) => {
  try {
    return webUtils.getPathForFile(file);
  } catch {
    return '';
  }
};

contextBridge.exposeInMainWorld('api', Object.freeze(api));

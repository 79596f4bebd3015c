import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Envelope } from '../app/contract';
import { channelNames, droppedChannel, eventNames, ipcName, type EventName } from '../app/ipc-names';

// The whole bridge: one method per contract channel, `on` for the contract's events, and
// `chooseDropped` for a drop on the window. Nothing else of Electron or Node reaches the page.

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

// The page hands over the dropped File, never a path: the path comes from webUtils here (a File made
// by page script has none) and goes to main on a channel of its own, so main can trust it as chosen.
api.chooseDropped = async (file: File): Promise<string> => {
  let path: string;
  try {
    path = webUtils.getPathForFile(file);
  } catch {
    return '';
  }
  if (!path) return '';
  const chosen: unknown = await ipcRenderer.invoke(droppedChannel, path);
  return typeof chosen === 'string' ? chosen : '';
};

contextBridge.exposeInMainWorld('api', Object.freeze(api));

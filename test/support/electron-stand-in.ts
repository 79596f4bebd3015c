// A recording stand-in for the parts of Electron's main-process API that main/index.ts uses, so the
// real shell can be bundled and run in plain Node (the Electron binary cannot be installed here).
// Everything it is asked to do is recorded on `globalThis.__electron` for the test to inspect.

type Listener = (...args: unknown[]) => unknown;

export interface ElectronRecord {
  privileged: unknown[];
  protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  ipcHandlers: Map<string, Listener>;
  windows: FakeWindow[];
  permissionHandler?: Listener;
  permissionCheckHandler?: Listener;
  menuSet: number;
  /** The template of the last application menu set. */
  menu?: unknown;
  paths: Map<string, string>;
  ready: () => void;
}

const record: ElectronRecord = {
  privileged: [],
  protocolHandlers: new Map(),
  ipcHandlers: new Map(),
  windows: [],
  menuSet: 0,
  paths: new Map(),
  ready: () => {},
};
(globalThis as { __electron?: ElectronRecord }).__electron = record;

class Emitter {
  listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener) {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]) {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

class FakeWebContents extends Emitter {
  windowOpenHandler?: Listener;
  sent: Array<[string, unknown]> = [];
  mainFrame = { url: '' };
  setWindowOpenHandler(handler: Listener) {
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown) {
    this.sent.push([channel, payload]);
  }
}

export class FakeWindow extends Emitter {
  webContents = new FakeWebContents();
  loaded?: string;
  constructor(public options: Record<string, unknown>) {
    super();
    record.windows.push(this);
  }
  static getAllWindows() {
    return record.windows;
  }
  loadURL(url: string) {
    this.loaded = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
  isMaximized() {
    return false;
  }
  isMinimized() {
    return false;
  }
  maximize() {}
  show() {}
  focus() {}
  restore() {}
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 };
  }
}

let resolveReady: () => void = () => {};
const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));
record.ready = () => resolveReady();

const appEmitter = new Emitter();
export const app = Object.assign(appEmitter, {
  // The shell test and the packaged-app test run main as an installed app does.
  isPackaged: process.env.ELECTRON_STAND_IN_PACKAGED === '1',
  getVersion: () => '0.0.0-stand-in',
  whenReady: () => readyPromise,
  getPath: (name: string) => record.paths.get(name) ?? '/nonexistent',
  setPath: (name: string, value: string) => void record.paths.set(name, value),
  requestSingleInstanceLock: () => true,
  quit: () => {},
  exit: (code: number) => {
    throw new Error(`app.exit(${code})`);
  },
});
export const BrowserWindow = FakeWindow;
export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown[]) => void record.privileged.push(...schemes),
  handle: (scheme: string, handler: (request: Request) => Promise<Response>) => void record.protocolHandlers.set(scheme, handler),
};
export const ipcMain = {
  handle: (channel: string, handler: Listener) => void record.ipcHandlers.set(channel, handler),
  // electron-store listens for its renderer-side API, which the app does not use.
  on: () => {},
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: Listener) => (record.permissionHandler = handler),
    setPermissionCheckHandler: (handler: Listener) => (record.permissionCheckHandler = handler),
  },
};
export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true, filePath: undefined }),
  showErrorBox: (title: string, message: string) => {
    throw new Error(`${title}: ${message}`);
  },
};
export const Menu = {
  buildFromTemplate: (template: unknown) => template,
  setApplicationMenu: (menu: unknown) => {
    record.menuSet += 1;
    record.menu = menu;
  },
};
export const shell = { openExternal: async () => {}, openPath: async () => '' };
// Electron is a CommonJS module: packages such as electron-store import its default export.
export default { app, BrowserWindow, protocol, ipcMain, session, dialog, Menu, shell };
export type IpcMainInvokeEvent = unknown;
export type MenuItemConstructorOptions = unknown;
export type OpenDialogOptions = unknown;

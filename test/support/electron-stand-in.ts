// A recording stand-in for the parts of Electron's main-process API that main/index.ts uses, so the
// real shell can be bundled and run in plain Node (the Electron binary cannot be installed here).
// Everything it is asked to do is recorded on `globalThis.__electron` for the test to inspect.

import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

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
  /** The module path of each utilityProcess.fork. */
  utilityForks: string[];
  ready: () => void;
}

const record: ElectronRecord = {
  privileged: [],
  protocolHandlers: new Map(),
  ipcHandlers: new Map(),
  windows: [],
  menuSet: 0,
  paths: new Map(),
  utilityForks: [],
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

// utilityProcess over child_process.fork: the same calls and events as Electron's (fork, postMessage,
// 'message', 'exit', kill), and in the child a `process.parentPort` that, like Electron's, hands
// messages over as `{data}` and keeps those that arrive before anyone listens.
const parentPortPreload = `
const waiting = [];
let deliver = null;
process.on('message', (data) => (deliver ? deliver({ data, ports: [] }) : waiting.push(data)));
process.parentPort = {
  on(event, listener) {
    if (event !== 'message') return this;
    deliver = listener;
    for (const data of waiting.splice(0)) listener({ data, ports: [] });
    return this;
  },
  postMessage(message) { process.send(message); },
};`;

export class FakeUtilityProcess extends Emitter {
  readonly child: ReturnType<typeof fork>;
  constructor(modulePath: string, args: string[], options: { stdio?: 'inherit' | 'ignore' | 'pipe' } = {}) {
    super();
    record.utilityForks.push(modulePath);
    // From source (tests) the worker is TypeScript: load it with tsx, as the worker thread does.
    const tsx = modulePath.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
    this.child = fork(modulePath, args, {
      execArgv: [...tsx, '--import', `data:text/javascript,${encodeURIComponent(parentPortPreload)}`],
      serialization: 'advanced',
      stdio: options.stdio === 'pipe' ? 'pipe' : options.stdio === 'ignore' ? 'ignore' : 'inherit',
    });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.on('exit', (code, signal) => this.emit('exit', code ?? (signal ? 1 : 0)));
  }
  override on(event: 'message', listener: (message: unknown) => void): this;
  override on(event: 'exit', listener: (code: number) => void): this;
  override on(event: string, listener: (...args: never[]) => unknown): this {
    return super.on(event, listener as Listener);
  }
  get pid() {
    return this.child.pid;
  }
  postMessage(message: unknown) {
    this.child.send(message as never);
  }
  kill() {
    return this.child.kill();
  }
}
export const utilityProcess = {
  fork: (modulePath: string, args: string[] = [], options: { stdio?: 'inherit' | 'ignore' | 'pipe' } = {}) => new FakeUtilityProcess(modulePath, args, options),
};
// Electron is a CommonJS module: packages such as electron-store import its default export.
export default { app, BrowserWindow, protocol, ipcMain, session, dialog, Menu, shell, utilityProcess };
export type IpcMainInvokeEvent = unknown;
export type MenuItemConstructorOptions = unknown;
export type OpenDialogOptions = unknown;

import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, type IpcMainInvokeEvent, type OpenDialogOptions } from 'electron';
import ElectronStore from 'electron-store';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { channelNames, ipcName, type Events, type EventName } from '../app/contract';
import { droppedChannel } from '../app/ipc-names';
import type { ExportFormat } from '../app/types';
import { createAppServices } from './compose';
import { createHandlers, dispatch } from './handlers';
import { buildMenu } from './menu';
import { createAppProtocolHandler } from './services/app-protocol';

// Lifecycle, window, protocol and IPC wiring only: every decision lives in the services.

const scheme = 'app';
const origin = `${scheme}://classify-desk`;
const here = dirname(fileURLToPath(import.meta.url));

protocol.registerSchemesAsPrivileged([
  { scheme, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true, codeCache: true } },
]);

if (process.env.CLASSIFY_DESK_HOME) app.setPath('userData', resolve(process.env.CLASSIFY_DESK_HOME));
if (!app.requestSingleInstanceLock()) app.quit();

/** The first existing directory among command-line arguments (`classify-desk /path/to/folder`). */
function folderFromArgs(argv: string[]): string | null {
  for (const arg of argv.slice(app.isPackaged ? 1 : 2)) {
    if (arg.startsWith('-')) continue;
    try {
      if (statSync(arg).isDirectory()) return resolve(arg);
    } catch {
      // not a folder: ignore
    }
  }
  return null;
}

let mainWindow: BrowserWindow | null = null;

function emit<E extends EventName>(event: E, payload: Events[E]): void {
  for (const window of BrowserWindow.getAllWindows()) window.webContents.send(ipcName(event), payload);
}

/** IPC is only answered for our own page, served from our own origin, in the top frame. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame) return false;
  try {
    // Not `.origin`: for a custom scheme Node's URL reports the opaque origin "null".
    const url = new URL(frame.url);
    return url.protocol === `${scheme}:` && url.host === 'classify-desk';
  } catch {
    return false;
  }
}

/** The OS open dialog, attached to the window when there is one; the chosen path or null. */
async function openOne(options: OpenDialogOptions): Promise<string | null> {
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

async function main(): Promise<void> {
  await app.whenReady();
  const dataDir = app.getPath('userData');
  // electron-store and the CLI's conf share one file: <userData>/config.json.
  // Only the user may read the settings file, as in plain Node (settings-store.ts).
  const store = new ElectronStore({ name: 'config', configFileMode: 0o600 });
  const services = await createAppServices({
    dataDir,
    emit,
    shell: 'electron',
    initialFolder: folderFromArgs(process.argv),
    settingsBacking: store,
    dialogs: {
      pickFolder: () => openOne({ properties: ['openDirectory'] }),
      pickFile: () => openOne({ properties: ['openFile'], filters: [{ name: 'CSV', extensions: ['csv', 'txt'] }] }),
      async pickExportPath(format: ExportFormat | 'html', suggestedName: string) {
        if (format === 'annotated' || format === 'class-folders') {
          return openOne({ title: 'Export into folder', properties: ['openDirectory', 'createDirectory'] });
        }
        const options = { defaultPath: suggestedName };
        const result = mainWindow ? await dialog.showSaveDialog(mainWindow, options) : await dialog.showSaveDialog(options);
        return result.canceled ? null : (result.filePath ?? null);
      },
      // The key gate asks here before the key goes to a server it was not entered for.
      async confirmKeySend(origin: string) {
        const options = {
          type: 'warning' as const,
          buttons: ['Send the key', 'Don’t send'],
          defaultId: 1,
          cancelId: 1,
          message: `Send your Roboflow key to ${origin}?`,
          detail: `Your API key was entered for other servers. Send it to ${origin} only if you set up this endpoint yourself.`,
        };
        const result = mainWindow ? await dialog.showMessageBox(mainWindow, options) : await dialog.showMessageBox(options);
        return result.response === 0;
      },
    },
  });
  const handlers = createHandlers(services.ports);
  for (const name of channelNames) {
    ipcMain.handle(ipcName(name), (event, payload: unknown) => {
      if (!trustedSender(event)) return { ok: false, error: { code: 'invalid_input', message: 'Request refused.' } };
      return dispatch(handlers, name, payload);
    });
  }
  ipcMain.handle(droppedChannel, (event, path: unknown) => (trustedSender(event) ? services.chooseDropped(path) : ''));
  // A folder the person chose outside the page (menu dialog, second instance) is opened by the page.
  const openChosen = (path: string) => {
    services.ports.folders.choose(path);
    emit('openFolderRequest', { path });
  };

  const serve = createAppProtocolHandler({ rendererDir: join(here, '..', 'renderer'), media: services.media });
  protocol.handle(scheme, serve);
  // Nothing the renderer asks for (camera, notifications, ...) is granted, and a page that only
  // checks whether it holds a permission (navigator.permissions, clipboard reads) is told no too.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const refreshMenu = () =>
    Menu.setApplicationMenu(
      buildMenu(services.ports.settings.get().recentFolders, {
        openFolder: () => {
          void services.ports.dialogs.pickFolder().then((path) => path && openChosen(path));
        },
        openRecent: (path) => emit('openFolderRequest', { path }),
        command: (command) => emit('menuCommand', { command }),
      }),
    );
  refreshMenu();
  services.onRecentChange?.(refreshMenu);

  createWindow(services.windowState());
  app.on('second-instance', (_event, argv) => {
    const folder = folderFromArgs(argv);
    if (folder) openChosen(folder);
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(services.windowState());
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => void services.close());

  function createWindow(state: { x?: number; y?: number; width: number; height: number; maximized: boolean }): void {
    const preload = join(here, 'preload.cjs');
    if (!existsSync(preload)) throw new Error(`Missing ${preload}: run npm run build.`);
    const window = new BrowserWindow({
      x: state.x,
      y: state.y,
      width: state.width,
      height: state.height,
      minWidth: 640,
      minHeight: 420,
      show: false,
      title: 'Classify Desk',
      backgroundColor: '#1e1f22',
      webPreferences: {
        preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
        // An installed app has no DevTools: they would let anyone at the keyboard run code with the page's IPC bridge.
        devTools: !app.isPackaged,
      },
    });
    mainWindow = window;
    if (state.maximized) window.maximize();
    window.once('ready-to-show', () => window.show());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.on('will-redirect', (event) => event.preventDefault());
    window.webContents.on('will-attach-webview', (event) => event.preventDefault());
    const remember = () => {
      if (window.isDestroyed()) return;
      services.saveWindowState({ ...window.getNormalBounds(), maximized: window.isMaximized() });
    };
    window.on('resize', remember);
    window.on('move', remember);
    window.on('close', remember);
    window.on('closed', () => {
      if (mainWindow === window) mainWindow = null;
    });
    void window.loadURL(`${origin}/index.html`);
  }
}

main().catch((error: unknown) => {
  dialog.showErrorBox('Classify Desk could not start', error instanceof Error ? error.message : String(error));
  app.exit(1);
});

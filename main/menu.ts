import { app, Menu, shell, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../app/contract';

// The application menu (thin Electron adapter beside index.ts): the usual roles plus the app's own
// commands, which are forwarded to the renderer or to main's handlers by the callbacks.

export interface MenuActions {
  openFolder(): void;
  openRecent(path: string): void;
  command(command: MenuCommand): void;
}

/** The item of each command the renderer carries out (the list is the contract's `menuCommands`). */
const commandItems = {
  export: { label: 'Export…', accelerator: 'CmdOrCtrl+E' },
  settings: { label: 'Settings…', accelerator: 'CmdOrCtrl+,' },
  shortcuts: { label: 'Keyboard Shortcuts', accelerator: 'Shift+/' },
} satisfies Record<MenuCommand, { label: string; accelerator: string }>;

/** The View menu; an installed app leaves out DevTools and reload (the built-in role has both). */
function viewMenu(): MenuItemConstructorOptions {
  if (!app.isPackaged) return { role: 'viewMenu' };
  return {
    label: '&View',
    submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
  };
}

export function buildMenu(recent: string[], actions: MenuActions): Menu {
  const isMac = process.platform === 'darwin';
  const command = (name: MenuCommand): MenuItemConstructorOptions => ({ ...commandItems[name], click: () => actions.command(name) });
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => actions.openFolder() },
        {
          label: 'Open Recent',
          enabled: recent.length > 0,
          submenu: recent.map((path) => ({ label: path, click: () => actions.openRecent(path) })),
        },
        { type: 'separator' },
        command('export'),
        command('settings'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    viewMenu(),
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        command('shortcuts'),
        { label: 'Roboflow Documentation', click: () => void shell.openExternal('https://docs.roboflow.com/') },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}

import { createCorrectionKey } from './correction-shortcut';
import { dispatchKey, type KeyBinding } from './key-bindings';
import type { Actions } from './actions';
import type { Stores } from './stores/app-stores';
import type { UiStore } from './stores/ui.svelte';

// The window's keyboard shortcuts (listed in ShortcutsDialog): one table, tried in order, and one
// keydown handler for the window that runs the first entry answering the key (key-bindings.ts).
// Adding a shortcut is one entry here.

type KeyStores = Pick<Stores, 'library' | 'review' | 'job' | 'selection' | 'corrections' | 'evaluation' | 'tags' | 'views'>;
type KeyActions = Pick<Actions, 'pickAndOpen' | 'runJob'>;

/** Everywhere, even while typing or with a dialog open. */
const ANYWHERE = ['field', 'dialog', 'image', 'grid'] as const;

function shortcutTable(stores: KeyStores, ui: UiStore, actions: KeyActions): KeyBinding[] {
  const { library, job, selection, evaluation, views } = stores;
  const focusSoon = (input: () => HTMLInputElement | undefined): void => {
    ui.showSidebar(true);
    queueMicrotask(() => input()?.focus());
  };
  return [
    { key: ',', mod: true, in: ANYWHERE, run: () => ui.setSettingsOpen(true) },
    { key: 'o', mod: true, in: ANYWHERE, run: () => void actions.pickAndOpen() },
    {
      key: 'r',
      mod: true,
      in: ANYWHERE,
      run: () => {
        if (library.folder && !job.active) void actions.runJob('new');
      },
    },
    { in: ['image', 'grid'], claim: createCorrectionKey(stores, ui) },
    { key: 'Escape', in: ['field'], when: () => !ui.settingsOpen, keepDefault: true, run: () => ui.focusGrid() },
    { key: '/', in: ['grid'], run: () => focusSoon(() => ui.searchInput) },
    { key: '?', in: ['grid'], run: () => ui.setShortcutsOpen(true) },
    { key: 'u', plain: true, in: ['grid'], run: () => focusSoon(() => ui.urlInput) },
    { key: 'e', plain: true, in: ['grid'], run: () => evaluation.toggle() },
    { key: 'v', plain: true, in: ['grid'], run: () => views.open() },
    { key: 'Escape', in: ['grid'], when: () => selection.size > 0, keepDefault: true, run: () => selection.clear() },
    { key: 'Escape', in: ['grid'], when: () => evaluation.cell !== null, keepDefault: true, run: () => evaluation.clearCell() },
  ];
}

/** Answers the window's keydown handler; it calls preventDefault on every key it handles (Escape aside). */
export function createKeydown(stores: KeyStores, ui: UiStore, actions: KeyActions): (event: KeyboardEvent) => void {
  const table = shortcutTable(stores, ui, actions);
  return (event) => {
    dispatchKey(table, event, {
      dialogOpen: ui.settingsOpen || ui.shortcutsOpen,
      imageOpen: ui.detailPos !== null,
      folderOpen: stores.library.folder !== null,
    });
  };
}

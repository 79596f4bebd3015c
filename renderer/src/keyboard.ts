import { correctionAction } from './components/evaluation/correction-keys';
import type { Actions } from './actions';
import type { Stores } from './stores/app-stores';
import type { UiStore } from './stores/ui.svelte';

// The window's keyboard shortcuts (listed in ShortcutsDialog): one keydown handler for the window.

type KeyStores = Pick<Stores, 'library' | 'review' | 'job' | 'selection' | 'corrections' | 'evaluation' | 'tags' | 'views'>;
type KeyActions = Pick<Actions, 'pickAndOpen' | 'runJob'>;

function inField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Answers the window's keydown handler; it calls preventDefault on every key it handles. */
export function createKeydown(stores: KeyStores, ui: UiStore, actions: KeyActions): (event: KeyboardEvent) => void {
  const { library, review, job, selection, corrections, evaluation, tags, views } = stores;
  const idAt = (pos: number): string | undefined => review.entryAt(pos)?.id;

  /** Where a correction goes: the open image, else the focused tile (and the selection it is part of). */
  function correctionTargets(): string[] {
    const id = idAt(ui.detailPos ?? ui.focusPos);
    if (!id) return [];
    if (ui.detailPos === null && selection.has(id) && selection.size > 1) return selection.ids();
    return [id];
  }

  /** Keys 1–9 / 0 / R / F / undo / redo on the grid or in the image view; true when handled. */
  function onCorrectionKey(event: KeyboardEvent): boolean {
    if (!library.folder?.folderId) return false;
    const target = event.target instanceof Element ? event.target : null;
    // Only where an image is plainly the subject: a stray key with focus lost to the page labels nothing.
    const onImages = target?.closest('[role="grid"], [data-corrections]') != null;
    if (ui.detailPos === null && !onImages) return false;
    const ids = correctionTargets();
    // T: the tag picker for the same images a label would go to.
    if (event.key.toLowerCase() === 't' && !event.ctrlKey && !event.metaKey && !event.altKey && ids.length > 0) {
      tags.openPicker(ids);
      return true;
    }
    const now = corrections.get(ids[0]);
    const action = correctionAction(event, review.prepared.classNames, { label: now?.label ?? null, reviewed: now?.reviewed ?? false, flagged: now?.flagged ?? false });
    if (!action) return false;
    if (action.kind === 'undo') void corrections.undo();
    else if (action.kind === 'redo') void corrections.redo();
    else if (ids.length > 0) void corrections.set(ids, action.patch);
    return true;
  }

  return (event) => {
    const mod = event.ctrlKey || event.metaKey;
    const dialog = ui.settingsOpen || ui.shortcutsOpen;
    const plain = !mod && !event.altKey && library.folder !== null;
    if (mod && event.key === ',') {
      event.preventDefault();
      ui.settingsOpen = true;
    } else if (mod && event.key.toLowerCase() === 'o') {
      event.preventDefault();
      void actions.pickAndOpen();
    } else if (mod && event.key.toLowerCase() === 'r') {
      event.preventDefault();
      if (library.folder && !job.active) void actions.runJob('new');
    } else if (!dialog && !inField(event.target) && onCorrectionKey(event)) {
      event.preventDefault();
    } else if (dialog || ui.detailPos !== null || inField(event.target)) {
      if (event.key === 'Escape' && inField(event.target) && !ui.settingsOpen) ui.focusGrid();
    } else if (event.key === '/') {
      event.preventDefault();
      ui.sidebar = true;
      queueMicrotask(() => ui.searchInput?.focus());
    } else if (event.key === '?') {
      event.preventDefault();
      ui.shortcutsOpen = true;
    } else if ((event.key === 'u' || event.key === 'U') && plain) {
      event.preventDefault();
      ui.sidebar = true;
      queueMicrotask(() => ui.urlInput?.focus());
    } else if ((event.key === 'e' || event.key === 'E') && plain) {
      event.preventDefault();
      evaluation.open = !evaluation.open;
    } else if ((event.key === 'v' || event.key === 'V') && plain) {
      event.preventDefault();
      views.open();
    } else if (event.key === 'Escape' && selection.size > 0) {
      selection.clear();
    } else if (event.key === 'Escape' && evaluation.cell) {
      evaluation.clearCell();
    }
  };
}

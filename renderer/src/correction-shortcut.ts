import { correctionAction } from './components/evaluation/correction-keys';
import type { Stores } from './stores/app-stores';
import type { UiStore } from './stores/ui.svelte';

// The correction keys (1–9 / 0 / R / F / undo / redo, and T for tags) as a keyboard binding: what they
// apply to and when.

type CorrectionStores = Pick<Stores, 'library' | 'review' | 'selection' | 'corrections' | 'tags'>;

/** Only where an image is plainly the subject: a stray key with focus lost to the page labels nothing. */
function onImages(event: KeyboardEvent): boolean {
  const target = event.target instanceof Element ? event.target : null;
  return target?.closest('[role="grid"], [data-corrections]') != null;
}

/** Answers a handler that applies a correction key on the grid or in the image view; true when handled. */
export function createCorrectionKey(stores: CorrectionStores, ui: UiStore): (event: KeyboardEvent) => boolean {
  const { library, review, selection, corrections, tags } = stores;

  /** Where a correction goes: the open image, else the focused tile (and the selection it is part of). */
  function targets(): string[] {
    const id = review.idAt(ui.detailPos ?? ui.focusPos);
    if (!id) return [];
    if (ui.detailPos === null && selection.has(id) && selection.size > 1) return selection.ids();
    return [id];
  }

  function marksOf(id: string | undefined): { label: string | null; reviewed: boolean; flagged: boolean } {
    const now = corrections.get(id);
    return { label: now?.label ?? null, reviewed: now?.reviewed ?? false, flagged: now?.flagged ?? false };
  }

  return (event) => {
    if (!library.folder?.folderId) return false;
    if (ui.detailPos === null && !onImages(event)) return false;
    const ids = targets();
    // T: the tag picker for the same images a label would go to.
    if (event.key.toLowerCase() === 't' && !event.ctrlKey && !event.metaKey && !event.altKey && ids.length > 0) {
      tags.openPicker(ids);
      return true;
    }
    const action = correctionAction(event, review.prepared.classNames, marksOf(ids[0]));
    if (!action) return false;
    if (action.kind === 'undo') void corrections.undo();
    else if (action.kind === 'redo') void corrections.redo();
    else if (ids.length > 0) void corrections.set(ids, action.patch);
    return true;
  };
}

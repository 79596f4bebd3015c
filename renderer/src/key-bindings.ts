// The mechanics behind the window's shortcut table (keyboard.ts): where the key was pressed, whether a
// binding answers it, and the dispatch that runs the first binding that does.

/**
 * Where a key press lands, which decides the bindings that may answer it:
 * typing in a field, a dialog open, the open image (detail view), or the image grid (and the page around it).
 */
export type Place = 'field' | 'dialog' | 'image' | 'grid';

interface BindingGuards {
  /** The `event.key` it answers; a lower-case letter also answers its capital. Absent: `claim` decides. */
  key?: string;
  /** Only with Ctrl (Cmd on macOS) held. */
  mod?: boolean;
  /** Only without Ctrl/Cmd/Alt and with a folder open, so a letter typed anywhere odd does nothing. */
  plain?: boolean;
  /** The places it answers in. */
  in: readonly Place[];
  /** A further condition on the app's state. */
  when?: () => boolean;
  /** Leave the browser's default alone (Escape keeps closing what it closes). */
  keepDefault?: boolean;
}

/** A binding either always acts on its key (`run`), or looks at the key and may decline it (`claim`: false), so the next binding is tried. */
export type KeyBinding = BindingGuards & ({ run: (event: KeyboardEvent) => void } | { claim: (event: KeyboardEvent) => boolean });

export interface KeyState {
  dialogOpen: boolean;
  imageOpen: boolean;
  folderOpen: boolean;
}

function isField(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** A field wins over a dialog: the dialog's own inputs take their keys. */
export function placeOf(event: KeyboardEvent, state: KeyState): Place {
  if (isField(event.target)) return 'field';
  if (state.dialogOpen) return 'dialog';
  return state.imageOpen ? 'image' : 'grid';
}

const isMod = (event: KeyboardEvent): boolean => event.ctrlKey || event.metaKey;

const keyMatches = (want: string | undefined, key: string): boolean => want === undefined || key === want || key.toLowerCase() === want;

function modifiersMatch(binding: KeyBinding, event: KeyboardEvent, folderOpen: boolean): boolean {
  if (binding.mod && !isMod(event)) return false;
  return !binding.plain || (!isMod(event) && !event.altKey && folderOpen);
}

function answers(binding: KeyBinding, event: KeyboardEvent, place: Place, folderOpen: boolean): boolean {
  if (!binding.in.includes(place) || !keyMatches(binding.key, event.key)) return false;
  return modifiersMatch(binding, event, folderOpen) && (binding.when?.() ?? true);
}

/** Runs the first binding that answers the key; true when one did. */
export function dispatchKey(bindings: readonly KeyBinding[], event: KeyboardEvent, state: KeyState): boolean {
  const place = placeOf(event, state);
  for (const binding of bindings) {
    if (!answers(binding, event, place, state.folderOpen)) continue;
    if ('claim' in binding) {
      if (!binding.claim(event)) continue;
    } else binding.run(event);
    if (!binding.keepDefault) event.preventDefault();
    return true;
  }
  return false;
}

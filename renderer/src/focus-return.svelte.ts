import { tick, untrack } from 'svelte';

// Where keyboard focus goes when a dialog, menu or overlay closes: back to where it came from, so
// arrows and shortcuts keep working without a click. One mechanism for every dialog of the window.

/**
 * Puts focus back on `opener` unless something else has deliberately taken it meanwhile. An opener
 * inside the image grid (or gone from the page) hands over to `fallback`, which knows the grid's
 * current image: the image view may have moved on while it was open.
 */
export function focusBack(opener: HTMLElement | null, fallback: () => void): void {
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected) return;
  if (opener && opener.isConnected && !opener.closest('[role="grid"]') && !opener.matches(':disabled')) opener.focus();
  else fallback();
}

/**
 * Call during a component's set-up, once per dialog: remembers what had focus when `isOpen()`
 * turns true and gives it back (focusBack) once the dialog is gone from the page.
 */
export function returnFocusOnClose(isOpen: () => boolean, fallback: () => void): void {
  let wasOpen = false;
  let opener: HTMLElement | null = null;
  // Before the DOM changes: the opener still has focus when the dialog is about to appear.
  $effect.pre(() => {
    const open = isOpen();
    untrack(() => {
      if (open && !wasOpen) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      if (!open && wasOpen) {
        const from = opener;
        opener = null;
        void tick().then(() => focusBack(from, fallback));
      }
      wasOpen = open;
    });
  });
}

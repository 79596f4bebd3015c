// Matchers such as toBeVisible / toHaveValue for the renderer's component tests.
import '@testing-library/jest-dom/vitest';

// jsdom has <dialog> but not its modal methods; the app opens every dialog with showModal().
if (typeof HTMLDialogElement !== 'undefined' && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.open = false;
  };
}

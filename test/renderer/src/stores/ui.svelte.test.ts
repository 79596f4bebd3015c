import { afterEach, describe, expect, it, vi } from 'vitest';
import { UiStore } from '../../../../renderer/src/stores/ui.svelte';

describe('UiStore', () => {
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = '';
  });

  it('an error notice stays until dismissed; a passing one goes by itself', () => {
    vi.useFakeTimers();
    const ui = new UiStore();
    ui.notify({ kind: 'error', title: 'Export failed', text: 'Disk full' });
    vi.advanceTimersByTime(60_000);
    expect(ui.notice?.title).toBe('Export failed');

    ui.notify({ kind: 'info', title: 'Exported', text: '3 images' }, true);
    vi.advanceTimersByTime(6000);
    expect(ui.notice).toBeNull();
  });

  it('a passing notice waits while it holds keyboard focus', () => {
    vi.useFakeTimers();
    const ui = new UiStore();
    document.body.innerHTML = '<div data-notice><button>Undo</button></div>';
    document.querySelector('button')?.focus();
    ui.notify({ kind: 'info', title: 'Exported', text: '3 images' }, true);
    vi.advanceTimersByTime(6000);
    expect(ui.notice?.title).toBe('Exported');
    document.querySelector('button')?.blur();
    vi.advanceTimersByTime(6000);
    expect(ui.notice).toBeNull();
  });

  it('puts focus back on the grid\'s focused tile', () => {
    const ui = new UiStore();
    const focused: number[] = [];
    ui.grid = { focusCell: (pos) => (focused.push(pos), Promise.resolve()), scrollToTop: () => undefined };
    ui.focusPos = 4;
    ui.focusGrid();
    expect(focused).toEqual([4]);
  });
});

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
    ui.attachGrid({ focusCell: (pos) => (focused.push(pos), Promise.resolve()), scrollToTop: () => undefined });
    ui.setFocus(4);
    ui.focusGrid();
    expect(focused).toEqual([4]);
  });

  it('closing the full view leaves the grid\'s focus on the image it last showed', () => {
    const ui = new UiStore();
    ui.setFocus(2);
    ui.openDetail(2);
    ui.moveDetail(3);
    expect(ui.focusPos).toBe(3);
    ui.closeDetail();
    expect(ui.detailPos).toBeNull();
    expect(ui.focusPos).toBe(3);
    ui.resetPositions();
    expect(ui.focusPos).toBe(0);
  });

  it('a notice is dismissed only while it is still the one shown', () => {
    const ui = new UiStore();
    const first = { kind: 'info' as const, title: 'Now showing cats/3', text: '' };
    ui.notify(first);
    ui.notify({ kind: 'error', title: 'Export failed', text: 'Disk full' });
    ui.dismissNotice(first);
    expect(ui.notice?.title).toBe('Export failed');
    ui.dismissNotice();
    expect(ui.notice).toBeNull();
  });
});

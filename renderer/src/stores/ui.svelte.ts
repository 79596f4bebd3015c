// What the window shows around the stores: focus, open dialogs, panes, tile look and the one
// notice banner. Component references (grid, search and URL fields) are bound here by App.

export interface Notice {
  kind: 'error' | 'info';
  title: string;
  text: string;
  /** One button beside the text (e.g. the way back from a change). */
  action?: { label: string; run: () => void };
}

/** How long a passing notice (an export written) stays before it dismisses itself. */
const transientMs = 6000;

/** The parts of the Grid component that the window drives. */
export interface GridHandle {
  focusCell(pos: number): Promise<void>;
  scrollToTop(): void;
}

export class UiStore {
  focusPos = $state(0);
  /** Position of the image open in the detail dialog, or null. */
  detailPos = $state<number | null>(null);
  settingsOpen = $state(false);
  shortcutsOpen = $state(false);
  sidebar = $state(true);
  panel = $state(window.innerWidth >= 1100);
  dragging = $state(false);
  tileSize = $state(176);
  fit = $state<'cover' | 'contain'>('cover');
  /** File names under the tiles (a view option, off by default). */
  names = $state(false);
  notice = $state.raw<Notice | null>(null);
  dpr = $state(window.devicePixelRatio || 1);
  /** A Run pressed while offline, started by the banner's Retry once the endpoint answers. */
  pendingRun = $state<string | null>(null);

  grid = $state.raw<GridHandle | undefined>();
  searchInput = $state<HTMLInputElement | undefined>();
  urlInput = $state<HTMLInputElement | undefined>();

  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Shows a notice; a `transient` one goes away by itself after a few seconds (never while it
   *  holds keyboard focus, so dismissing it cannot drop focus to the page). */
  notify(notice: Notice, transient = false): void {
    clearTimeout(this.noticeTimer);
    this.notice = notice;
    if (!transient) return;
    const expire = () => {
      if (this.notice !== notice) return;
      if (document.activeElement?.closest('[data-notice]')) this.noticeTimer = setTimeout(expire, transientMs);
      else this.notice = null;
    };
    this.noticeTimer = setTimeout(expire, transientMs);
  }

  /** Puts keyboard focus back on the grid's focused tile. */
  focusGrid(): void {
    void this.grid?.focusCell(this.focusPos);
  }
}

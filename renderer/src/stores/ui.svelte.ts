// What the window shows around the stores: focus, open dialogs, panes, tile look and the one
// notice banner. Component references (grid, search and URL fields) are bound here by App.

export interface Notice {
  kind: 'error' | 'info';
  title: string;
  text: string;
}

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
  notice = $state<Notice | null>(null);
  dpr = $state(window.devicePixelRatio || 1);
  /** A Run pressed while offline, started by the banner's Retry once the endpoint answers. */
  pendingRun = $state<string | null>(null);

  grid = $state.raw<GridHandle | undefined>();
  searchInput = $state<HTMLInputElement | undefined>();
  urlInput = $state<HTMLInputElement | undefined>();

  /** Puts keyboard focus back on the grid's focused tile. */
  focusGrid(): void {
    void this.grid?.focusCell(this.focusPos);
  }
}

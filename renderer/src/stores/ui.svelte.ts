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
  #focusPos = $state(0);
  get focusPos() {
    return this.#focusPos;
  }
  /** Position of the image open in the detail dialog, or null. */
  #detailPos = $state<number | null>(null);
  get detailPos() {
    return this.#detailPos;
  }
  #settingsOpen = $state(false);
  get settingsOpen() {
    return this.#settingsOpen;
  }
  #shortcutsOpen = $state(false);
  get shortcutsOpen() {
    return this.#shortcutsOpen;
  }
  #sidebar = $state(true);
  get sidebar() {
    return this.#sidebar;
  }
  #panel = $state(window.innerWidth >= 1100);
  get panel() {
    return this.#panel;
  }
  #dragging = $state(false);
  get dragging() {
    return this.#dragging;
  }
  #tileSize = $state(176);
  get tileSize() {
    return this.#tileSize;
  }
  #fit = $state<'cover' | 'contain'>('cover');
  get fit() {
    return this.#fit;
  }
  /** File names under the tiles (a view option, off by default). */
  #names = $state(false);
  get names() {
    return this.#names;
  }
  #notice = $state.raw<Notice | null>(null);
  get notice() {
    return this.#notice;
  }
  #dpr = $state(window.devicePixelRatio || 1);
  get dpr() {
    return this.#dpr;
  }
  /** A Run pressed while offline, started by the banner's Retry once the endpoint answers. */
  #pendingRun = $state<string | null>(null);
  get pendingRun() {
    return this.#pendingRun;
  }

  #grid = $state.raw<GridHandle | undefined>();

  get grid() {

    return this.#grid;

  }
  #searchInput = $state<HTMLInputElement | undefined>();
  get searchInput() {
    return this.#searchInput;
  }
  #urlInput = $state<HTMLInputElement | undefined>();
  get urlInput() {
    return this.#urlInput;
  }

  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Moves the keyboard focus to position `pos` of the grid. */
  setFocus(pos: number): void {
    this.#focusPos = pos;
  }

  /** Opens the full view of the image at `pos`. */
  openDetail(pos: number): void {
    this.#detailPos = pos;
  }

  /** Walks the full view to `pos`, keeping the grid's focus on the same image. */
  moveDetail(pos: number): void {
    this.#detailPos = pos;
    this.#focusPos = pos;
  }

  /** Closes the full view; the grid's focus stays on the image it showed. */
  closeDetail(): void {
    if (this.#detailPos !== null) this.#focusPos = this.#detailPos;
    this.#detailPos = null;
  }

  /** Forgets the open image and the focus (another folder opens). */
  resetPositions(): void {
    this.#detailPos = null;
    this.#focusPos = 0;
  }

  setSettingsOpen(open: boolean): void {
    this.#settingsOpen = open;
  }

  setShortcutsOpen(open: boolean): void {
    this.#shortcutsOpen = open;
  }

  /** Shows the filter sidebar, or toggles it. */
  showSidebar(show = !this.#sidebar): void {
    this.#sidebar = show;
  }

  togglePanel(): void {
    this.#panel = !this.#panel;
  }

  /** A file is dragged over the window (or no longer is). */
  setDragging(dragging: boolean): void {
    this.#dragging = dragging;
  }

  setTileSize(size: number): void {
    this.#tileSize = size;
  }

  toggleFit(): void {
    this.#fit = this.#fit === 'cover' ? 'contain' : 'cover';
  }

  toggleNames(): void {
    this.#names = !this.#names;
  }

  /** The screen's pixel ratio changed (another monitor, zoom). */
  setDpr(dpr: number): void {
    this.#dpr = dpr;
  }

  /** Remembers a Run pressed while offline (null forgets it). */
  setPendingRun(mode: string | null): void {
    this.#pendingRun = mode;
  }

  /** Hides the notice; with `only`, only when that notice is still the one shown. */
  dismissNotice(only?: Notice): void {
    if (only === undefined || this.#notice === only) this.#notice = null;
  }

  /** The grid component, once mounted (App binds it). */
  attachGrid(grid: GridHandle | undefined): void {
    this.#grid = grid;
  }

  /** The sidebar's search and URL fields (App binds them) that shortcuts focus. */
  attachFields(fields: { searchInput?: HTMLInputElement; urlInput?: HTMLInputElement }): void {
    if ('searchInput' in fields) this.#searchInput = fields.searchInput;
    if ('urlInput' in fields) this.#urlInput = fields.urlInput;
  }

  /** Shows a notice; a `transient` one goes away by itself after a few seconds (never while it
   *  holds keyboard focus, so dismissing it cannot drop focus to the page). */
  notify(notice: Notice, transient = false): void {
    clearTimeout(this.noticeTimer);
    this.#notice = notice;
    if (!transient) return;
    const expire = () => {
      if (this.#notice !== notice) return;
      if (document.activeElement?.closest('[data-notice]')) this.noticeTimer = setTimeout(expire, transientMs);
      else this.#notice = null;
    };
    this.noticeTimer = setTimeout(expire, transientMs);
  }

  /** Puts keyboard focus back on the grid's focused tile. */
  focusGrid(): void {
    void this.#grid?.focusCell(this.#focusPos);
  }
}

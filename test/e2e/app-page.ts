import type { Locator, Page } from 'playwright-core';

// The app's window as the end-to-end specs see it: one name for each control a person uses, found
// the way a screen reader finds it (role and accessible name). A renamed button is changed here once,
// not in every spec. `ui(page)` gives the page object of a page.

type Name = string | RegExp;

export class AppPage {
  constructor(readonly page: Page) {}

  // The grid
  get grid(): Locator {
    return this.page.getByRole('grid');
  }
  /** Every tile of the grid (rendered ones: the grid is virtual). */
  get tiles(): Locator {
    return this.page.getByRole('gridcell');
  }
  /** The tile whose accessible name matches (a tile's name starts with its file name). */
  tile(name: Name): Locator {
    return this.page.getByRole('gridcell', { name });
  }

  // The toolbar
  get openFolderButton(): Locator {
    return this.page.getByRole('button', { name: 'Open folder' });
  }
  get runButton(): Locator {
    return this.page.getByRole('button', { name: 'Run', exact: true });
  }
  get runOptions(): Locator {
    return this.page.getByRole('button', { name: 'Run options' });
  }
  get exportButton(): Locator {
    return this.page.getByRole('button', { name: 'Export', exact: true });
  }
  get exportMenu(): Locator {
    return this.page.getByRole('menu', { name: 'Export' });
  }
  get evaluateButton(): Locator {
    return this.page.getByRole('button', { name: 'Evaluate', exact: true });
  }
  get settingsButton(): Locator {
    return this.page.getByRole('button', { name: 'Settings', exact: true });
  }
  get threshold(): Locator {
    return this.page.getByRole('slider', { name: 'Threshold' });
  }
  get search(): Locator {
    return this.page.getByRole('searchbox');
  }
  get sortBy(): Locator {
    return this.page.getByLabel('Sort by');
  }
  /** An item of whichever menu is open. */
  menuItem(name: Name): Locator {
    return this.page.getByRole('menuitem', { name });
  }
  /** Export… → the item named `name`. */
  async exportAs(name: Name): Promise<void> {
    await this.exportButton.click();
    await this.menuItem(name).click();
  }

  // Panes and dialogs
  get filters(): Locator {
    return this.page.getByRole('complementary', { name: 'Filters' });
  }
  /** A filter option (a class, "Models disagree", …) in the sidebar. */
  option(name: Name): Locator {
    return this.page.getByRole('checkbox', { name });
  }
  get details(): Locator {
    return this.page.getByRole('complementary', { name: 'Details' });
  }
  get evaluation(): Locator {
    return this.page.getByRole('complementary', { name: 'Evaluation' });
  }
  get compare(): Locator {
    return this.page.getByRole('group', { name: 'Compare models' });
  }
  get settings(): Locator {
    return this.page.getByRole('dialog', { name: 'Settings' });
  }
  get shortcuts(): Locator {
    return this.page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  }
  /** Any open dialog. */
  get dialogs(): Locator {
    return this.page.getByRole('dialog');
  }
  /** The dialog named `name` (the full view is named after its image). */
  dialog(name: Name): Locator {
    return this.page.getByRole('dialog', { name });
  }

  // What the app says
  get summary(): Locator {
    return this.page.getByRole('status', { name: 'Summary' });
  }
  get jobProgress(): Locator {
    return this.page.getByRole('status', { name: 'Job progress' });
  }
  get alerts(): Locator {
    return this.page.getByRole('alert');
  }
  /** Polite messages (outcomes, banners): all of them, or those containing `text`. */
  messages(text?: Name): Locator {
    const all = this.page.getByRole('status');
    return text === undefined ? all : all.filter({ hasText: text });
  }
}

const pages = new WeakMap<Page, AppPage>();

/** The page object of `page` (one per page). */
export function ui(page: Page): AppPage {
  let app = pages.get(page);
  if (!app) pages.set(page, (app = new AppPage(page)));
  return app;
}

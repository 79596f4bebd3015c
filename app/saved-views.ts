import { defaultFilter, type SortKey, type ViewFilter } from './view-filter';
import type { SavedView } from './saved-views-schema';

export type { SavedView, SavedViews } from './saved-views-schema';

// Saved views: a name for the current filter + sort + threshold (and tag filter), stored per
// folder in the settings and reopened from the Views dialog (V). The settings file is checked
// view by view on load (saved-views-schema.ts): one broken view is dropped, never the folder's
// others. This module holds the plain rules the page uses, so the page does not load zod.

export const maxViewsPerFolder = 50;
export const maxViewNameLength = 60;

/** Why a view name is refused, or null. */
export function viewNameProblem(name: string): string | null {
  const text = name.trim();
  if (text === '') return 'Give the view a name.';
  if (text.length > maxViewNameLength) return `A view name is at most ${maxViewNameLength} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) return 'A view name cannot hold control characters or line breaks.';
  return null;
}


/** The view as it is now, under a name. */
export function captureView(name: string, filter: ViewFilter, sort: SortKey, threshold: number, tags: Iterable<string>): SavedView {
  const view: SavedView = {
    name: name.trim(),
    search: filter.search,
    state: filter.state,
    classes: [...filter.classes].sort(),
    confMin: filter.confMin,
    confMax: filter.confMax,
    tags: [...tags].sort(),
    sort,
    threshold,
  };
  for (const key of ['marginMin', 'marginMax', 'entropyMin', 'entropyMax'] as const) if (filter[key] !== undefined) view[key] = filter[key];
  return view;
}

/** What reopening a view sets: the sidebar filter (no cell or comparison allow-list), sort, threshold, tags. */
export function openedView(view: SavedView): { filter: ViewFilter; sort: SortKey; threshold: number; tags: string[] } {
  return {
    filter: {
      ...defaultFilter,
      search: view.search,
      state: view.state,
      classes: new Set(view.classes),
      confMin: view.confMin,
      confMax: view.confMax,
      marginMin: view.marginMin ?? 0,
      marginMax: view.marginMax ?? 1,
      entropyMin: view.entropyMin ?? 0,
      entropyMax: view.entropyMax ?? 1,
    },
    sort: view.sort,
    threshold: view.threshold,
    tags: [...view.tags],
  };
}

/** The folder's views with `view` saved: replacing a view of the same name in place, else first. */
export function withView(views: readonly SavedView[], view: SavedView): SavedView[] {
  const at = views.findIndex((v) => v.name === view.name);
  if (at >= 0) return views.map((v, k) => (k === at ? view : v));
  return [view, ...views].slice(0, maxViewsPerFolder);
}

/** Renames a view; refused (null) when the new name is taken by another view or invalid. */
export function renamedView(views: readonly SavedView[], from: string, to: string): SavedView[] | null {
  const name = to.trim();
  if (viewNameProblem(name) !== null) return null;
  if (name !== from && views.some((v) => v.name === name)) return null;
  return views.map((v) => (v.name === from ? { ...v, name } : v));
}

export function withoutView(views: readonly SavedView[], name: string): SavedView[] {
  return views.filter((v) => v.name !== name);
}

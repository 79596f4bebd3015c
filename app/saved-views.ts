import { z } from 'zod';
import { tagTextProblem } from './annotations';
import { defaultFilter, type SortKey, type ViewFilter } from './view-filter';

// Saved views: a name for the current filter + sort + threshold (and tag filter), stored per
// folder in the settings and reopened from the Views dialog (V). The settings file is checked
// view by view on load: one broken view is dropped, never the folder's others.

export const maxViewsPerFolder = 50;
export const maxViewNameLength = 60;

const sortKeys = ['name', 'confidence-desc', 'confidence-asc', 'class', 'mistakes', 'margin-asc', 'entropy-desc'] as const satisfies readonly SortKey[];
const unit = z.number().min(0).max(1);

/** Why a view name is refused, or null. */
export function viewNameProblem(name: string): string | null {
  const text = name.trim();
  if (text === '') return 'Give the view a name.';
  if (text.length > maxViewNameLength) return `A view name is at most ${maxViewNameLength} characters.`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)) return 'A view name cannot hold control characters or line breaks.';
  return null;
}

export const savedViewSchema = z.object({
  name: z.string().refine((name) => viewNameProblem(name) === null && name === name.trim()),
  search: z.string().max(1000),
  state: z.enum(['all', 'unclassified', 'done', 'error']),
  classes: z.array(z.string().max(256)).max(1000),
  confMin: unit,
  confMax: unit,
  marginMin: unit.optional(),
  marginMax: unit.optional(),
  entropyMin: unit.optional(),
  entropyMax: unit.optional(),
  tags: z.array(z.string().refine((tag) => tagTextProblem(tag) === null)).max(100),
  sort: z.enum(sortKeys),
  threshold: unit,
});
export type SavedView = z.infer<typeof savedViewSchema>;

/** A folder's views as stored: invalid views dropped, names unique (the first kept), at most 50. */
function repairViews(raw: unknown): SavedView[] {
  if (!Array.isArray(raw)) return [];
  const out: SavedView[] = [];
  for (const item of raw) {
    const parsed = savedViewSchema.safeParse(item);
    if (parsed.success && !out.some((v) => v.name === parsed.data.name)) out.push(parsed.data);
  }
  return out.slice(0, maxViewsPerFolder);
}

/** The settings field: folder id -> its views. Broken folders and views are dropped on load. */
export const savedViewsSetting = z.preprocess(
  (raw) =>
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.fromEntries(Object.entries(raw).filter(([id]) => /^[0-9a-f]{16}$/.test(id)).map(([id, views]) => [id, repairViews(views)]))
      : {},
  z.record(z.string().regex(/^[0-9a-f]{16}$/), z.array(savedViewSchema).max(maxViewsPerFolder)),
);
export type SavedViews = Record<string, SavedView[]>;

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

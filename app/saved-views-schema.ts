import { z } from 'zod';
import { tagTextProblem } from './annotations';
import { maxViewsPerFolder, viewNameProblem } from './saved-views';
import type { SortKey } from './view-filter';

// How saved views are stored in the settings file, checked view by view on load: one broken view
// is dropped, never the folder's others. Main reads and writes settings; the page only needs the
// types and saved-views.ts's rules, so the schemas live here and the page's bundle has no zod.

const sortKeys = ['name', 'confidence-desc', 'confidence-asc', 'class', 'mistakes', 'margin-asc', 'entropy-desc'] as const satisfies readonly SortKey[];
const unit = z.number().min(0).max(1);

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

// Free tags and a short note per image (tags and notes). They travel with the person's corrections
// (app/corrections.ts: same journal, same undo/redo), show in the detail view, filter the grid as
// facets, go into exports (`tags`, `note`), choose images to send to Roboflow and select images
// on the command line (`--only tag:NAME`).

/** Longest tag, in characters; Roboflow's upload tags stop at 64 too. */
export const maxTagLength = 64;
/** Most tags one image may carry. */
export const maxTagsPerImage = 32;
/** Longest note, in characters. */
export const maxNoteLength = 1000;

// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const noteControlChars = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

/** A tag as stored: trimmed, inner runs of white space as one space. */
export function normaliseTag(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Why a (normalised) tag is refused, or null. ";" is refused because CSV exports join tags with it. */
export function tagTextProblem(tag: string): string | null {
  if (tag.length === 0) return 'A tag cannot be empty.';
  if (tag.length > maxTagLength) return `A tag is at most ${maxTagLength} characters.`;
  if (controlChars.test(tag)) return 'A tag cannot hold control characters or line breaks.';
  if (tag.includes(';')) return 'A tag cannot hold ";" (exports list tags separated by it).';
  return null;
}

/** Why a note is refused, or null; line breaks and tabs are allowed, other control characters not. */
export function noteProblem(note: string): string | null {
  if (note.length > maxNoteLength) return `A note is at most ${maxNoteLength} characters.`;
  if (noteControlChars.test(note)) return 'A note cannot hold control characters.';
  return null;
}

/** An image's tags after adding and removing some: sorted, without duplicates. */
export function applyTags(current: readonly string[], add: readonly string[] = [], remove: readonly string[] = []): string[] {
  const out = new Set(current);
  for (const tag of remove) out.delete(tag);
  for (const tag of add) out.add(tag);
  return [...out].sort(compareTags);
}

/** Tag order everywhere (facets, picker, exports): case-insensitive, then by code unit. */
export function compareTags(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** How many images carry each tag, in tag order. */
export function tagCounts(items: Iterable<{ tags?: readonly string[] }>): Array<[tag: string, count: number]> {
  const counts = new Map<string, number>();
  for (const item of items) for (const tag of item.tags ?? []) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  return [...counts].sort((a, b) => compareTags(a[0], b[0]));
}

/** The tags offered for what was typed: existing ones containing it (those starting with it
 *  first), and whether the typed text would be a new tag. */
export function tagSuggestions(known: readonly string[], typed: string): { matches: string[]; create: string | null } {
  const text = normaliseTag(typed);
  const lower = text.toLowerCase();
  const hits = known.filter((tag) => tag.toLowerCase().includes(lower));
  const starts = hits.filter((tag) => tag.toLowerCase().startsWith(lower));
  const rest = hits.filter((tag) => !tag.toLowerCase().startsWith(lower));
  const exists = known.some((tag) => tag === text);
  return { matches: [...starts, ...rest], create: text && !exists && tagTextProblem(text) === null ? text : null };
}

/** `--only tag:NAME` on the command line: the tag, or null when the value names no tag. */
export function tagSelector(only: string): string | null {
  if (!only.startsWith('tag:')) return null;
  return normaliseTag(only.slice(4));
}

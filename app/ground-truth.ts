import { defuseFormula, restoreFormula } from './export-rows';
import { atOnce, stepSlice } from './steps';
import { imageExtensions } from './types';

// Ground truth: the true label of each image, from class-named folders (the ImageNet / Lobe
// convention) or from a labels CSV (`path,label`), with the person's corrections on top.
// Precedence: a correction wins; else, when a CSV is chosen, the CSV is the only source (images it
// does not list are unlabelled, so a stray class-named folder cannot sneak labels in); else folders.

/** Mapping editor entries, keyed by normalised name: a class name, or null to ignore the name. */
export type LabelMapping = Readonly<Record<string, string | null>>;

/** The comparison key of a folder or label name: lower case without '-', '_' and whitespace. */
export function normaliseLabel(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/[-_\s]+/g, '');
}

export type LabelMatch = { kind: 'class'; label: string } | { kind: 'ignore' } | { kind: 'unmatched'; key: string };

/** Resolves names against the model's classes: the mapping table first, then a normalised match. */
export class LabelMatcher {
  private readonly byKey = new Map<string, string>();
  /** Names already matched: a folder's 250,000 images bring a few hundred names, each many times. */
  private readonly seen = new Map<string, LabelMatch>();
  constructor(readonly classes: readonly string[], private readonly mapping: LabelMapping = {}) {
    for (const name of classes) if (!this.byKey.has(normaliseLabel(name))) this.byKey.set(normaliseLabel(name), name);
  }

  /** What a folder or CSV name means: a class, a name to ignore, or one waiting for a mapping. */
  match(name: string): LabelMatch {
    let match = this.seen.get(name);
    if (!match) {
      match = this.#match(name);
      this.seen.set(name, match);
    }
    return match;
  }

  #match(name: string): LabelMatch {
    const key = normaliseLabel(name);
    if (key === '') return { kind: 'ignore' };
    if (Object.prototype.hasOwnProperty.call(this.mapping, key)) {
      const target = this.mapping[key];
      return target === null ? { kind: 'ignore' } : { kind: 'class', label: target };
    }
    const label = this.byKey.get(key);
    return label === undefined ? { kind: 'unmatched', key } : { kind: 'class', label };
  }
}

/**
 * The label of an image from its folders: the nearest ancestor whose name matches a class wins.
 * When none does, `candidate` is the nearest ancestor name neither matched nor ignored (what the
 * mapping editor should offer), or null for an image at the top of the folder.
 */
export function labelFromFolders(id: string, matcher: LabelMatcher): { label: string | null; candidate: string | null } {
  const parts = id.split('/').slice(0, -1);
  let candidate: string | null = null;
  for (let i = parts.length - 1; i >= 0; i--) {
    const match = matcher.match(parts[i]);
    if (match.kind === 'class') return { label: match.label, candidate: null };
    if (match.kind === 'unmatched' && candidate === null) candidate = parts[i];
  }
  return { label: null, candidate };
}

export interface CsvProblem {
  /** 1-based line where the row starts. */
  line: number;
  message: string;
}

export interface LabelsCsv {
  /** Relative path -> labels in file order (several rows for one path give a multi-label truth). */
  labels: Map<string, string[]>;
  header: boolean;
  problems: CsvProblem[];
}

/** Splits CSV text into rows of fields (RFC 4180: quotes, "" escapes, CRLF/LF, newlines in quotes). */
export function parseCsvRows(text: string): Array<{ line: number; fields: string[] }> {
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
    }
  }
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

const pathHeaders = new Set(['path', 'file', 'filename', 'filepath', 'image', 'imagepath', 'name', 'relativepath']);
const labelHeaders = new Set(['label', 'class', 'classname', 'category', 'truth', 'groundtruth', 'tag']);
const imagePattern = new RegExp(`\\.(${imageExtensions.join('|')})$`, 'i');

/** Turns a path from a CSV into the library's id form: POSIX slashes, no leading './'. */
export function normaliseCsvPath(path: string): string {
  return path.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

/**
 * Parses a labels CSV. The first row is a header when none of its cells is an image path; a header
 * naming its columns (path/file/image, label/class) may put them in any order.
 */
export function parseLabelsCsv(text: string): LabelsCsv {
  const rows = parseCsvRows(text);
  const problems: CsvProblem[] = [];
  const labels = new Map<string, string[]>();
  let pathCol = 0;
  let labelCol = 1;
  let header = false;
  if (rows.length > 0) {
    // Every data row names an image file, so a first row naming none is a header.
    if (!rows[0].fields.some((cell) => imagePattern.test(cell.trim()))) {
      header = true;
      const first = rows[0].fields.map(normaliseLabel);
      const p = first.findIndex((cell) => pathHeaders.has(cell));
      const l = first.findIndex((cell) => labelHeaders.has(cell));
      if (p !== -1) pathCol = p;
      if (l !== -1) labelCol = l;
      else if (p !== -1) labelCol = p === 0 ? 1 : 0;
    }
  }
  for (const row of rows.slice(header ? 1 : 0)) {
    // Our own exports defuse formulas with a leading ' (labelsCsv): read them back as written.
    const path = normaliseCsvPath(restoreFormula(row.fields[pathCol] ?? ''));
    const label = restoreFormula((row.fields[labelCol] ?? '').trim());
    if (path === '') { problems.push({ line: row.line, message: 'The row has no path.' }); continue; }
    if (label === '') { problems.push({ line: row.line, message: `"${path}" has no label; it stays unlabelled.` }); continue; }
    // A repeated label moves to the end, so "the last row wins" holds for single-label truth.
    const list = (labels.get(path) ?? []).filter((l) => l !== label);
    list.push(label);
    labels.set(path, list);
  }
  return { labels, header, problems };
}

/** Quotes one CSV field per RFC 4180 when it needs it (quote, comma, line break, edge spaces), so
 *  parseCsvRows reads it back exactly. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A labels CSV (`path,label` header, CRLF, RFC 4180 quoting, formulas defused like the results
 *  CSV) that parseLabelsCsv reads back as given; with sources, a third `label_source` column. */
export function labelsCsv(rows: Iterable<readonly [path: string, label: string, source?: string]>, withSource = false): string {
  let out = withSource ? 'path,label,label_source\r\n' : 'path,label\r\n';
  const cell = (text: string) => csvField(defuseFormula(text));
  for (const [path, label, source] of rows) out += `${cell(path)},${cell(label)}${withSource ? `,${cell(source ?? '')}` : ''}\r\n`;
  return out;
}

export interface GroundTruthOptions {
  ids: Iterable<string>;
  classes: readonly string[];
  mapping?: LabelMapping;
  /** A parsed labels CSV; when given, folders are not used. */
  csv?: Map<string, string[]> | null;
  /** Corrected labels by image id; they override everything else. */
  corrections?: ReadonlyMap<string, string>;
  /** Multi-label models keep every CSV label of a path; single-label ones keep the last. */
  multiLabel?: boolean;
}

export interface UnmatchedName {
  /** The name as first seen (for the mapping editor). */
  name: string;
  /** Its normalised key: the key to use in LabelMapping. */
  key: string;
  /** Images waiting on this name. */
  count: number;
}

export interface GroundTruth {
  /** True labels of the labelled images (class names), by id. */
  truth: Map<string, string[]>;
  source: 'folders' | 'csv';
  unmatched: UnmatchedName[];
  /** Problems worth showing (CSV rows not matching an image, conflicting labels). */
  problems: CsvProblem[];
  /** CSV rows whose path is no image of the folder. */
  unknownPaths: string[];
}

/** True labels for every image that has one, and the names that still need a mapping. */
export function resolveGroundTruth(options: GroundTruthOptions): GroundTruth {
  return atOnce(groundTruthInSteps(options));
}

/** resolveGroundTruth in steps: a `yield` every `slice` images (at 250,000 labelled images it held
 *  main's event loop 0.27 s at once). */
export function* groundTruthInSteps(options: GroundTruthOptions, slice = stepSlice): Generator<void, GroundTruth> {
  const matcher = new LabelMatcher(options.classes, options.mapping);
  const truth = new Map<string, string[]>();
  const unmatched = new Map<string, UnmatchedName>();
  const problems: CsvProblem[] = [];
  const note = (name: string, key: string) => {
    const entry = unmatched.get(key);
    if (entry) entry.count++;
    else unmatched.set(key, { name, key, count: 1 });
  };
  const csv = options.csv ?? null;
  const seen = new Set<string>();
  const byFolder = new Map<string, { label: string | null; candidate: string | null; key: string }>();
  const lowerCsv = csv ? new Map([...csv.keys()].map((k) => [k.toLowerCase(), k] as const)) : null;
  let count = 0;
  for (const id of options.ids) {
    if (++count % slice === 0) yield;
    const corrected = options.corrections?.get(id);
    if (corrected !== undefined) {
      truth.set(id, [corrected]);
      if (csv) seen.add(csvKey(csv, lowerCsv, id) ?? '');
      continue;
    }
    if (csv) {
      const key = csvKey(csv, lowerCsv, id);
      if (key === null) continue;
      seen.add(key);
      const names = csv.get(key) ?? [];
      const picked = options.multiLabel ? names : names.slice(-1);
      if (!options.multiLabel && names.length > 1) {
        problems.push({ line: 0, message: `"${id}" has ${names.length} labels in the CSV; the last one (${picked[0]}) is used.` });
      }
      const labels: string[] = [];
      for (const name of picked) {
        const match = matcher.match(name);
        if (match.kind === 'class') labels.push(match.label);
        else if (match.kind === 'unmatched') note(name, match.key);
      }
      if (labels.length > 0 && labels.length === picked.filter((n) => matcher.match(n).kind !== 'ignore').length) {
        truth.set(id, [...new Set(labels)]);
      }
      continue;
    }
    // Every image of a sub-folder has that sub-folder's label (or none): worked out once each.
    const folder = id.slice(0, id.lastIndexOf('/') + 1);
    let found = byFolder.get(folder);
    if (!found) {
      const { label, candidate } = labelFromFolders(id, matcher);
      found = { label, candidate, key: candidate === null ? '' : normaliseLabel(candidate) };
      byFolder.set(folder, found);
    }
    if (found.label !== null) truth.set(id, [found.label]);
    else if (found.candidate !== null) note(found.candidate, found.key);
  }
  const unknownPaths = csv ? [...csv.keys()].filter((k) => !seen.has(k)) : [];
  return {
    truth,
    source: csv ? 'csv' : 'folders',
    unmatched: [...unmatched.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name)),
    problems,
    unknownPaths,
  };
}

/** The CSV key for an image id: exact first, then case-insensitive (paths from other systems). */
function csvKey(csv: Map<string, string[]>, lower: Map<string, string> | null, id: string): string | null {
  if (csv.has(id)) return id;
  return lower?.get(id.toLowerCase()) ?? null;
}

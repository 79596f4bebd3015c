import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { errorCodes } from '../../app/errors';
import { parseResponse } from '../../app/roboflow';
import { resultsEndpoint, type ModelRef, type ModelSelection } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import { createModelRefs, type ModelRefs } from './model-refs';
import type { ResultRecord, ResultSummary } from '../../app/types';
import { encodeResults, resultFlags, type ResultColumns } from '../../app/result-columns';
import { makePrivateDir } from './paths';
import { openJournal, type Journal } from './results-journal';
import { resultBriefCodec } from './result-brief-codec';

// Results per folder + model (a ModelRef: engine, endpoint or weights, project/version), each in its own JSON-lines journal under
// <dataDir>/results/ (never inside the user's folder). Web images (https URL ids) share the
// journal of the folder they were classified with.

const sentSchema = z.object({
  width: z.number(),
  height: z.number(),
  bytes: z.number(),
  resized: z.boolean(),
  reencoded: z.boolean(),
  original: z.object({ width: z.number(), height: z.number() }).optional(),
  refused: z.object({ width: z.number(), height: z.number(), bytes: z.number() }).optional(),
});

/** The on-disk form of a ResultRecord; unknown fields are dropped, a bad line is skipped. */
export const resultRecordSchema = z.object({
  id: z.string().min(1),
  size: z.number(),
  mtimeMs: z.number(),
  status: z.enum(['done', 'error']),
  response: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.enum(errorCodes), message: z.string() }).optional(),
  sent: sentSchema.optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
});

export interface FileIdentity {
  size: number;
  mtimeMs: number;
}

/** The journal file name of a folder's results from one model: 16 hex chars of a SHA-1. The one
 *  place results are keyed. The hashed text is `folderId|endpoint|model` as it always was (for the
 *  device, its `on-device:<sha256 prefix>` endpoint string), so journals written before ModelRef load. */
export function journalKey(folderId: string, ref: ModelRef): string {
  return createHash('sha1').update(`${folderId}|${resultsEndpoint(ref)}|${ref.model}`).digest('hex').slice(0, 16);
}

/** Web images carry their URL as id; they have no file identity to go stale. */
export function isWebId(id: string): boolean {
  return /^https:\/\//i.test(id);
}

/** True when the file changed (size or mtime) since the record was made. */
export function isStale(record: Pick<ResultRecord, 'id' | 'size' | 'mtimeMs'>, entry: FileIdentity | undefined): boolean {
  if (!entry || isWebId(record.id)) return false;
  return record.size !== entry.size || Math.trunc(record.mtimeMs) !== Math.trunc(entry.mtimeMs);
}

/** The renderer-ready view of a record (scores normalised, raw response left out). */
export function summarise(record: ResultRecord, entry?: FileIdentity): ResultSummary {
  const summary: ResultSummary = {
    id: record.id,
    status: record.status,
    stale: isStale(record, entry),
    multiLabel: false,
    scores: [],
  };
  if (record.status === 'done' && record.response) {
    const parsed = parseResponse(record.response);
    if (parsed.ok) {
      summary.multiLabel = parsed.value.multiLabel;
      summary.scores = parsed.value.scores;
    } else {
      summary.status = 'error';
      summary.error = { code: 'bad_response', message: 'The stored response could not be read; run the image again.' };
    }
  }
  if (record.error) summary.error = record.error;
  return summary;
}

export interface ResultsStoreOptions {
  dataDir: string;
  /** Which model page/detail/current mean (the app's engine-aware refs). */
  refs?: ModelRefs;
  /** Without `refs`: the settings' model on the Roboflow API. */
  settings?: { get(): Settings };
  /** File identity of an image as last scanned, to flag stale results. */
  entryOf?: (folderId: string, id: string) => FileIdentity | undefined;
  syncIntervalMs?: number;
}

/** A page of columns straight from the briefs (no summary objects on the way: at 250,000 results
 *  they were most of a load's garbage). Same content as `encodeResults` of the summaries. */
function columnsOfBriefs(j: ResultsJournal, ids: string[], classes: ClassTable, entryOf: (id: string) => FileIdentity | undefined): ResultColumns {
  const page = encodeResults(j.size, []);
  const pageClass = new Map<number, number>();
  for (const id of ids) {
    const brief = j.brief(id);
    if (!brief) continue;
    const i = page.ids.length;
    page.ids.push(id);
    page.flags.push(resultFlags(brief.status === 'error', isStale({ id, size: brief.size, mtimeMs: brief.mtimeMs }, entryOf(id)), brief.multiLabel));
    for (let k = 0; k < brief.scores.length; k += 2) {
      let c = pageClass.get(brief.scores[k]);
      if (c === undefined) {
        c = page.classes.length;
        pageClass.set(brief.scores[k], c);
        page.classes.push(classes.names[brief.scores[k]]);
      }
      page.scoreClass.push(c);
      page.scoreConf.push(brief.scores[k + 1]);
    }
    page.scoreStart.push(page.scoreConf.length);
    if (brief.error) page.errors.push([i, brief.error.code, brief.error.message]);
  }
  return page;
}

export interface ResultsStore {
  journal(folderId: string, ref: ModelRef): Promise<ResultsJournal>;
  /** The model the settings (or `selection`) mean, or null when none is usable. */
  ref(selection?: ModelSelection): ModelRef | null;
  /** The journal of that model, or null when no model is set. */
  current(folderId: string, selection?: ModelSelection): Promise<ResultsJournal | null>;
  /** One image's summary from what is kept in memory (no read), or null without a stored result. */
  summary(journal: ResultsJournal, id: string, entry?: FileIdentity): ResultSummary | null;
  page(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<{ total: number; items: ResultSummary[] }>;
  /** The same page as `page`, packed as columns for the renderer. */
  columns(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<ResultColumns>;
  detail(folderId: string, id: string, selection?: ModelSelection): Promise<ResultRecord | null>;
  close(): Promise<void>;
}

/** What main keeps in memory per stored result: the summary's fields, scores as (class index,
 *  confidence) pairs into the store's class table. The full record (raw response) stays on disk
 *  and is read back by offset when something asks for it. */
export interface ResultBrief {
  size: number;
  mtimeMs: number;
  /** The record's own status (a 'done' record whose response cannot be read shows as an error). */
  stored: ResultRecord['status'];
  status: ResultSummary['status'];
  multiLabel: boolean;
  /** Class index, confidence, class index, confidence, … (sorted by confidence, descending). */
  scores: number[];
  error?: ResultSummary['error'];
}

export type ResultsJournal = Journal<ResultRecord, ResultBrief>;

/** Class names, each kept once for every journal of the store. */
class ClassTable {
  readonly names: string[] = [];
  readonly #index = new Map<string, number>();

  indexOf(name: string): number {
    let k = this.#index.get(name);
    if (k === undefined) {
      k = this.names.length;
      this.#index.set(name, k);
      this.names.push(name);
    }
    return k;
  }
}

function briefOf(record: ResultRecord, classes: ClassTable): ResultBrief {
  const summary = summarise(record);
  const scores: number[] = [];
  for (const [name, confidence] of summary.scores) scores.push(classes.indexOf(name), confidence);
  const brief: ResultBrief = { size: record.size, mtimeMs: record.mtimeMs, stored: record.status, status: summary.status, multiLabel: summary.multiLabel, scores };
  if (summary.error) brief.error = summary.error;
  return brief;
}

/** What deciding whether to send an image again needs of its stored record, from memory. */
export function storedIdentity(j: ResultsJournal, id: string): Pick<ResultRecord, 'id' | 'size' | 'mtimeMs' | 'status'> | undefined {
  const brief = j.brief(id);
  return brief && { id, size: brief.size, mtimeMs: brief.mtimeMs, status: brief.stored };
}

/** The summary `summarise` gives for the record the brief was made of. */
function summaryOfBrief(id: string, brief: ResultBrief, classes: ClassTable, entry: FileIdentity | undefined): ResultSummary {
  const scores: Array<[string, number]> = [];
  for (let i = 0; i < brief.scores.length; i += 2) scores.push([classes.names[brief.scores[i]], brief.scores[i + 1]]);
  const summary: ResultSummary = { id, status: brief.status, stale: isStale({ id, size: brief.size, mtimeMs: brief.mtimeMs }, entry), multiLabel: brief.multiLabel, scores };
  if (brief.error) summary.error = brief.error;
  return summary;
}

export function createResultsStore(opts: ResultsStoreOptions): ResultsStore {
  const dir = path.join(opts.dataDir, 'results');
  const open = new Map<string, Promise<ResultsJournal>>();
  const classes = new ClassTable();
  const codec = resultBriefCodec(classes);

  const refs = opts.refs ?? (opts.settings ? createModelRefs({ settings: opts.settings }) : null);
  const journal = (folderId: string, ref: ModelRef) => {
    const key = journalKey(folderId, ref);
    let pending = open.get(key);
    if (!pending) {
      // The data folder holds what the user classified: keep it theirs alone.
      pending = makePrivateDir(opts.dataDir).then(() => openJournal<ResultRecord, ResultBrief>({
        path: path.join(dir, `${key}.jsonl`),
        parse: (value) => {
          const parsed = resultRecordSchema.safeParse(value);
          return parsed.success ? (parsed.data as ResultRecord) : null;
        },
        key: (record) => record.id,
        brief: (record) => briefOf(record, classes),
        // Beside the journal: what a re-open of an unchanged journal reads instead of every line.
        sidecar: { path: path.join(dir, `${key}.briefs`), codec },
        syncIntervalMs: opts.syncIntervalMs,
      }));
      open.set(key, pending);
      pending.catch(() => open.delete(key));
    }
    return pending;
  };

  const ref = (selection?: ModelSelection) => refs?.current(selection) ?? null;
  const current = async (folderId: string, selection?: ModelSelection) => {
    const chosen = ref(selection);
    return chosen ? journal(folderId, chosen) : null;
  };

  // Reading 250,000 results page by page walked the journal from its start for every page; a
  // snapshot of its keys, taken at offset 0 and reused while the journal keeps its size, makes
  // each page cost only its own results.
  const snapshots = new WeakMap<ResultsJournal, { size: number; lines: number; ids: string[] }>();
  const idsOf = (j: ResultsJournal, offset: number): string[] => {
    const kept = snapshots.get(j);
    if (offset > 0 && kept && kept.size === j.size && kept.lines === j.lines) return kept.ids;
    const ids: string[] = [];
    for (const [id] of j.briefs()) ids.push(id);
    snapshots.set(j, { size: j.size, lines: j.lines, ids });
    return ids;
  };

  return {
    journal,
    ref,
    current,
    async page(folderId, offset, limit, selection) {
      const j = await current(folderId, selection);
      if (!j) return { total: 0, items: [] };
      const items: ResultSummary[] = [];
      for (const id of idsOf(j, offset).slice(offset, offset + limit)) {
        const brief = j.brief(id);
        if (brief) items.push(summaryOfBrief(id, brief, classes, opts.entryOf?.(folderId, id)));
      }
      return { total: j.size, items };
    },
    async columns(folderId, offset, limit, selection) {
      const j = await current(folderId, selection);
      if (!j) return encodeResults(0, []);
      return columnsOfBriefs(j, idsOf(j, offset).slice(offset, offset + limit), classes, (id) => opts.entryOf?.(folderId, id));
    },
    summary(j, id, entry) {
      const brief = j.brief(id);
      return brief ? summaryOfBrief(id, brief, classes, entry) : null;
    },
    async detail(folderId, id, selection) {
      const j = await current(folderId, selection);
      return j?.get(id) ?? null;
    },
    async close() {
      const all = [...open.values()];
      open.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
    },
  };
}

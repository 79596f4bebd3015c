import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { errorCodes } from '../../app/errors';
import { parseResponse } from '../../app/roboflow';
import { resultsEndpoint, type ModelRef, type ModelSelection } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import { createModelRefs, type ModelRefs } from './model-refs';
import type { ResultRecord, ResultSummary } from '../../app/types';
import { ClassSubset, ClassTable } from '../../app/class-table';
import { encodeResults, packColumns, resultFlags, type PlainColumns, type ResultColumns } from '../../app/result-columns';
import { makePrivateDir } from './paths';
import { nextTurn, type Turn } from './next-turn';
import { createLimiter } from './limit';
import { openJournal, type Journal } from './results-journal';
import type { JournalRows } from './journal-index';
import { resultBriefCodec } from './result-brief-codec';
import { ResultBriefColumns } from './result-brief-columns';

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
  return changedSince(record.id, record.size, record.mtimeMs, entry);
}

/** isStale of a record with this id, size and mtime (no object for it). */
function changedSince(id: string, size: number, mtimeMs: number, entry: FileIdentity | undefined): boolean {
  if (!entry || isWebId(id)) return false;
  return size !== entry.size || Math.trunc(mtimeMs) !== Math.trunc(entry.mtimeMs);
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
  /** What a results page waits for before it is made (the folder's cached listing sent whole). */
  listed?: (folderId: string) => Promise<void> | undefined;
  syncIntervalMs?: number;
  /** The turn of the event loop a journal's open takes between its steps (tests count them). */
  turn?: Turn;
}

/** A page of columns straight from the briefs' columns (no summary or brief objects on the way:
 *  at 250,000 results they were most of a load's garbage). Same content as `encodeResults` of the
 *  summaries of rows `from` … `to` - 1. */
function columnsOfRows(j: ResultsJournal, from: number, to: number, classes: ClassTable, entryOf: (id: string) => FileIdentity | undefined): PlainColumns {
  const { keys, briefs } = j.rows();
  const page = encodeResults(j.size, []);
  const pageClasses = new ClassSubset(classes);
  page.classes = pageClasses.names;
  for (let row = from; row < to; row++) {
    const id = keys[row];
    const i = page.ids.length;
    page.ids.push(id);
    page.flags.push(resultFlags(briefs.status(row) === 'error', changedSince(id, briefs.size(row), briefs.mtimeMs(row), entryOf(id)), briefs.multiLabel(row)));
    const count = briefs.scoreCount(row);
    for (let k = 0; k < count; k++) {
      page.scoreClass.push(pageClasses.indexOf(briefs.scoreClass(row, k)));
      page.scoreConf.push(briefs.scoreConf(row, k));
    }
    page.scoreCount.push(count);
    const error = briefs.error(row);
    if (error) page.errors.push([i, error.code, error.message]);
  }
  return page;
}

/** A journal's stored results as an evaluation reads them: by handle (the result's row), with
 *  no object made per result until its summary is asked for. */
export interface StoredResults {
  /** The handle of image `id`'s stored result, or -1 when it has none. */
  find(id: string): number;
  status(at: number): ResultSummary['status'];
  stale(at: number, entry: FileIdentity | undefined): boolean;
  multiLabel(at: number): boolean;
  scoreCount(at: number): number;
  /** The class of its `k`th score (scores are sorted by confidence, descending). */
  scoreClass(at: number, k: number): string;
  scoreConf(at: number, k: number): number;
  summary(at: number, entry: FileIdentity | undefined): ResultSummary;
}

/** The scores of stored result `at` as passingLabels reads them: every one, or the best alone
 *  (`first`: stored scores are in byScore's order, confidence then class name, so the first is
 *  the one the badge shows, a tie included), without a summary. */
export function storedScores(results: StoredResults, at: number, first = false): Array<[string, number]> {
  const n = first ? Math.min(1, results.scoreCount(at)) : results.scoreCount(at);
  const scores = new Array<[string, number]>(n);
  for (let k = 0; k < n; k++) scores[k] = [results.scoreClass(at, k), results.scoreConf(at, k)];
  return scores;
}

/** StoredResults over records looked up one by one (tests, small folders): a summary each. */
export function storedRecords(record: (id: string) => ResultRecord | undefined): StoredResults {
  const found: ResultRecord[] = [];
  const summaries: ResultSummary[] = [];
  return {
    find(id) {
      const stored = record(id);
      if (!stored) return -1;
      found.push(stored);
      return summaries.push(summarise(stored)) - 1;
    },
    status: (at) => summaries[at].status,
    stale: (at, entry) => isStale(found[at], entry),
    multiLabel: (at) => summaries[at].multiLabel,
    scoreCount: (at) => summaries[at].scores.length,
    scoreClass: (at, k) => summaries[at].scores[k][0],
    scoreConf: (at, k) => summaries[at].scores[k][1],
    summary: (at, entry) => ({ ...summaries[at], stale: isStale(found[at], entry) }),
  };
}

/** The stored results of a folder without a journal: none. */
const noStoredResults = storedRecords(() => undefined);

export interface ResultsStore {
  journal(folderId: string, ref: ModelRef): Promise<ResultsJournal>;
  /** The model the settings (or `selection`) mean, or null when none is usable. */
  ref(selection?: ModelSelection): ModelRef | null;
  /** The journal of that model, or null when no model is set. */
  current(folderId: string, selection?: ModelSelection): Promise<ResultsJournal | null>;
  /** One image's summary from what is kept in memory (no read), or null without a stored result. */
  summary(journal: ResultsJournal, id: string, entry?: FileIdentity): ResultSummary | null;
  /** The journal's results as an evaluation, an export or a send plan reads them, by handle, from
   *  what is kept in memory (no read), as the rows are when asked: its handles hold while other
   *  work runs. None without a journal (no model set). */
  stored(journal: ResultsJournal | null): StoredResults;
  page(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<{ total: number; items: ResultSummary[] }>;
  /** The same page as `page`, packed as columns for the renderer. */
  columns(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<ResultColumns>;
  /** The ids of the stored results whose file changed since it was classified, in the pages' order. */
  staleIds(folderId: string, selection?: ModelSelection): Promise<string[]>;
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

export type ResultsJournal = Journal<ResultRecord, ResultBrief, ResultBriefColumns>;

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
  const row = j.rowOf(id);
  if (row < 0) return undefined;
  const { briefs } = j.rows();
  return { id, size: briefs.size(row), mtimeMs: briefs.mtimeMs(row), status: briefs.stored(row) };
}

/** The summary `summarise` gives for the record row `row`'s brief was made of. */
function summaryOfRow({ keys, briefs }: JournalRows<ResultBriefColumns>, row: number, classes: ClassTable, entry: FileIdentity | undefined): ResultSummary {
  const id = keys[row];
  const scores: Array<[string, number]> = [];
  for (let k = 0; k < briefs.scoreCount(row); k++) scores.push([classes.names[briefs.scoreClass(row, k)], briefs.scoreConf(row, k)]);
  const summary: ResultSummary = { id, status: briefs.status(row), stale: changedSince(id, briefs.size(row), briefs.mtimeMs(row), entry), multiLabel: briefs.multiLabel(row), scores };
  const error = briefs.error(row);
  if (error) summary.error = error;
  return summary;
}

export function createResultsStore(opts: ResultsStoreOptions): ResultsStore {
  const dir = path.join(opts.dataDir, 'results');
  const open = new Map<string, Promise<ResultsJournal>>();
  const classes = new ClassTable();
  const codec = resultBriefCodec(classes);
  /** Pages are made one at a time, in the order asked for. */
  const onePage = createLimiter(1);

  const refs = opts.refs ?? (opts.settings ? createModelRefs({ settings: opts.settings }) : null);
  const journal = (folderId: string, ref: ModelRef) => {
    const key = journalKey(folderId, ref);
    let pending = open.get(key);
    if (!pending) {
      // The data folder holds what the user classified: keep it theirs alone.
      pending = makePrivateDir(opts.dataDir).then(() => openJournal<ResultRecord, ResultBrief, ResultBriefColumns>({
        path: path.join(dir, `${key}.jsonl`),
        parse: (value) => {
          const parsed = resultRecordSchema.safeParse(value);
          return parsed.success ? (parsed.data as ResultRecord) : null;
        },
        key: (record) => record.id,
        brief: (record) => briefOf(record, classes),
        // Kept as typed columns, not an object per result.
        briefStore: () => new ResultBriefColumns(),
        // Beside the journal: what a re-open of an unchanged journal reads instead of every line.
        sidecar: { path: path.join(dir, `${key}.briefs`), codec },
        syncIntervalMs: opts.syncIntervalMs,
        turn: opts.turn,
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

  return {
    journal,
    ref,
    current,
    // Pages are cut from the journal's rows, which keep their order while the journal is open
    // (a compaction or another process's rebuilds them, in the file's order).
    async page(folderId, offset, limit, selection) {
      const j = await current(folderId, selection);
      if (!j) return { total: 0, items: [] };
      const items: ResultSummary[] = [];
      const rows = j.rows();
      for (let row = Math.max(0, offset), end = Math.min(j.size, offset + limit); row < end; row++) {
        items.push(summaryOfRow(rows, row, classes, opts.entryOf?.(folderId, rows.keys[row])));
      }
      return { total: j.size, items };
    },
    async columns(folderId, offset, limit, selection) {
      await opts.listed?.(folderId);
      const j = await current(folderId, selection);
      if (!j) return encodeResults(0, []);
      // A page of 50,000 took main 0.1 s at a stretch: pages asked for together are made one after
      // the other, each in two steps (its rows as they are now, then packed) with a turn of the
      // event loop before each, so what came meanwhile (a thumbnail, a click) is served between.
      return onePage(async () => {
        await nextTurn();
        const rows = columnsOfRows(j, Math.max(0, offset), Math.min(j.size, offset + limit), classes, (id) => opts.entryOf?.(folderId, id));
        await nextTurn();
        return packColumns(rows);
      });
    },
    async staleIds(folderId, selection) {
      const j = await current(folderId, selection);
      if (!j) return [];
      const { keys, briefs } = j.rows();
      const stale: string[] = [];
      for (let row = 0; row < j.size; row++) {
        const id = keys[row];
        if (changedSince(id, briefs.size(row), briefs.mtimeMs(row), opts.entryOf?.(folderId, id))) stale.push(id);
      }
      return stale;
    },
    summary(j, id, entry) {
      const row = j.rowOf(id);
      return row < 0 ? null : summaryOfRow(j.rows(), row, classes, entry);
    },
    stored(j) {
      if (!j) return noStoredResults;
      // The rows as they are now, kept whole: a rebuild meanwhile (a compaction, here or by another
      // process) makes new ones and leaves these as they were, so handles hold across turns. A
      // result replaced meanwhile (a run) is read as it is then.
      const rows = j.rows();
      const { keys, briefs } = rows;
      // Asked in the folder's order, which is mostly the order the results were stored in: the
      // row after the last one found is tried first (at 250,000 results, a look-up each was a
      // third of the evaluation a folder's open asks for).
      let next = 0;
      return {
        find(id) {
          const row = keys[next] === id ? next : (rows.rows.get(id) ?? -1);
          if (row >= 0) next = row + 1;
          return row;
        },
        status: (row) => briefs.status(row),
        stale: (row, entry) => changedSince(keys[row], briefs.size(row), briefs.mtimeMs(row), entry),
        multiLabel: (row) => briefs.multiLabel(row),
        scoreCount: (row) => briefs.scoreCount(row),
        scoreClass: (row, k) => classes.names[briefs.scoreClass(row, k)],
        scoreConf: (row, k) => briefs.scoreConf(row, k),
        summary: (row, entry) => summaryOfRow(rows, row, classes, entry),
      };
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

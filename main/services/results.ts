import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { errorCodes } from '../../app/errors';
import { parseResponse } from '../../app/roboflow';
import { resultsEndpoint, type ModelRef, type ModelSelection } from '../../app/model-ref';
import type { Settings } from '../../app/settings';
import { createModelRefs, type ModelRefs } from './model-refs';
import type { ResultRecord, ResultSummary } from '../../app/types';
import { encodeResults, type ResultColumns } from '../../app/result-columns';
import { makePrivateDir } from './paths';
import { openJournal, type Journal } from './results-journal';

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

export interface ResultsStore {
  journal(folderId: string, ref: ModelRef): Promise<Journal<ResultRecord>>;
  /** The model the settings (or `selection`) mean, or null when none is usable. */
  ref(selection?: ModelSelection): ModelRef | null;
  /** The journal of that model, or null when no model is set. */
  current(folderId: string, selection?: ModelSelection): Promise<Journal<ResultRecord> | null>;
  page(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<{ total: number; items: ResultSummary[] }>;
  /** The same page as `page`, packed as columns for the renderer. */
  columns(folderId: string, offset: number, limit: number, selection?: ModelSelection): Promise<ResultColumns>;
  detail(folderId: string, id: string, selection?: ModelSelection): Promise<ResultRecord | null>;
  close(): Promise<void>;
}

export function createResultsStore(opts: ResultsStoreOptions): ResultsStore {
  const dir = path.join(opts.dataDir, 'results');
  const open = new Map<string, Promise<Journal<ResultRecord>>>();

  const refs = opts.refs ?? (opts.settings ? createModelRefs({ settings: opts.settings }) : null);
  const journal = (folderId: string, ref: ModelRef) => {
    const key = journalKey(folderId, ref);
    let pending = open.get(key);
    if (!pending) {
      // The data folder holds what the user classified: keep it theirs alone.
      pending = makePrivateDir(opts.dataDir).then(() => openJournal<ResultRecord>({
        path: path.join(dir, `${key}.jsonl`),
        parse: (value) => {
          const parsed = resultRecordSchema.safeParse(value);
          return parsed.success ? (parsed.data as ResultRecord) : null;
        },
        key: (record) => record.id,
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
  // snapshot of its records, taken at offset 0 and reused while the journal keeps its size, makes
  // each page cost only its own records.
  const snapshots = new WeakMap<Journal<ResultRecord>, { size: number; lines: number; records: ResultRecord[] }>();
  const recordsOf = (j: Journal<ResultRecord>, offset: number): ResultRecord[] => {
    const kept = snapshots.get(j);
    if (offset > 0 && kept && kept.size === j.size && kept.lines === j.lines) return kept.records;
    const records = Array.from(j.values());
    snapshots.set(j, { size: j.size, lines: j.lines, records });
    return records;
  };

  return {
    journal,
    ref,
    current,
    async page(folderId, offset, limit, selection) {
      const j = await current(folderId, selection);
      if (!j) return { total: 0, items: [] };
      const records = recordsOf(j, offset);
      const items = records.slice(offset, offset + limit).map((record) => summarise(record, opts.entryOf?.(folderId, record.id)));
      return { total: j.size, items };
    },
    async columns(folderId, offset, limit, selection) {
      const j = await current(folderId, selection);
      if (!j) return encodeResults(0, []);
      const records = recordsOf(j, offset);
      const to = Math.min(records.length, offset + limit);
      function* summaries() {
        for (let i = offset; i < to; i++) yield summarise(records[i], opts.entryOf?.(folderId, records[i].id));
      }
      return encodeResults(j.size, summaries());
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

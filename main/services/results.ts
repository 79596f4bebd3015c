import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { errorCodes } from '../../app/errors';
import { parseResponse } from '../../app/roboflow';
import { endpointBase, type Settings } from '../../app/settings';
import type { ResultRecord, ResultSummary } from '../../app/types';
import { makePrivateDir } from './paths';
import { openJournal, type Journal } from './results-journal';

// Results per folder + endpoint base URL + model, each in its own JSON-lines journal under
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

/** The journal file name for a folder + endpoint + model: 16 hex chars of a SHA-1. */
export function journalKey(folderId: string, endpoint: string, model: string): string {
  return createHash('sha1').update(`${folderId}|${endpoint}|${model}`).digest('hex').slice(0, 16);
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
  /** The current endpoint + model come from here for page/detail. */
  settings?: { get(): Settings };
  /** File identity of an image as last scanned, to flag stale results. */
  entryOf?: (folderId: string, id: string) => FileIdentity | undefined;
  syncIntervalMs?: number;
}

export interface ResultsStore {
  journal(folderId: string, endpoint: string, model: string): Promise<Journal<ResultRecord>>;
  /** The journal for the current endpoint and model (or `model`), or null when no model is set. */
  current(folderId: string, model?: string): Promise<Journal<ResultRecord> | null>;
  page(folderId: string, offset: number, limit: number, model?: string): Promise<{ total: number; items: ResultSummary[] }>;
  detail(folderId: string, id: string, model?: string): Promise<ResultRecord | null>;
  close(): Promise<void>;
}

export function createResultsStore(opts: ResultsStoreOptions): ResultsStore {
  const dir = path.join(opts.dataDir, 'results');
  const open = new Map<string, Promise<Journal<ResultRecord>>>();

  const journal = (folderId: string, endpoint: string, model: string) => {
    const key = journalKey(folderId, endpoint, model);
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

  const current = async (folderId: string, model?: string) => {
    const settings = opts.settings?.get();
    const chosen = model ?? settings?.model;
    if (!settings || !chosen) return null;
    const endpoint = endpointBase(settings);
    if (!endpoint) return null;
    return journal(folderId, endpoint, chosen);
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
    current,
    async page(folderId, offset, limit, model) {
      const j = await current(folderId, model);
      if (!j) return { total: 0, items: [] };
      const records = recordsOf(j, offset);
      const items = records.slice(offset, offset + limit).map((record) => summarise(record, opts.entryOf?.(folderId, record.id)));
      return { total: j.size, items };
    },
    async detail(folderId, id, model) {
      const j = await current(folderId, model);
      return j?.get(id) ?? null;
    },
    async close() {
      const all = [...open.values()];
      open.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
    },
  };
}

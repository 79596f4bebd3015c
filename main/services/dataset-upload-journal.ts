import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { splits, type SentMark } from '../../app/dataset-send';
import { isStale } from './results';
import { openJournal, type Journal } from './results-journal';

// What has been sent to which Roboflow project, per folder + project, in the app's data dir
// (<dataDir>/sent/<folderId>/<hash of platform, workspace, project>.jsonl; never the image folder),
// through the results' crash-safe append-only journal. Each line is the whole state of one image
// after a step (uploaded, labelled, label kept), so the last line wins: a re-send skips what the
// project already holds, and a crash between upload and label leaves a line that says "uploaded,
// not labelled yet", so the next send labels it without uploading it again.

const recordSchema = z.object({
  id: z.string().min(1).max(4096),
  size: z.number(),
  mtimeMs: z.number(),
  project: z.string().min(1),
  workspace: z.string(),
  /** Roboflow's id of the uploaded image. */
  imageId: z.string().min(1),
  duplicate: z.boolean(),
  split: z.enum(splits),
  batch: z.string(),
  tags: z.array(z.string()),
  uploadedAt: z.string(),
  /** The labels the project holds from us; absent until the label is set. */
  labels: z.array(z.string()).optional(),
  origin: z.enum(['correction', 'truth', 'prediction']).optional(),
  labelledAt: z.string().optional(),
  /** A prediction was not set because the project already had a label (409). */
  kept: z.boolean().optional(),
});
export type SentRecord = z.infer<typeof recordSchema>;

export interface SentJournalKey {
  folderId: string;
  platformUrl: string;
  workspace: string;
  project: string;
}

const folderIdPattern = /^[0-9a-zA-Z_-]{1,64}$/;

function fileOf(dataDir: string, key: SentJournalKey): string {
  if (!folderIdPattern.test(key.folderId)) throw new Error(`Bad folder id "${key.folderId.slice(0, 64)}"`);
  const hash = createHash('sha1').update(`${key.platformUrl.replace(/\/+$/, '')}|${key.workspace}|${key.project}`).digest('hex').slice(0, 16);
  return path.join(dataDir, 'sent', key.folderId, `${hash}.jsonl`);
}

const parse = (value: unknown): SentRecord | null => {
  const parsed = recordSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
};

/** Whether the record says the project holds this file (unchanged) with these labels. */
export function alreadySent(record: SentRecord | undefined, file: { size: number; mtimeMs: number } | undefined, labels: readonly string[]): boolean {
  if (!record || isStale(record, file)) return false;
  if (record.kept) return true;
  return record.labels !== undefined && record.labels.length === labels.length && record.labels.every((l, i) => l === labels[i]);
}

/** Whether the upload in the record is still good for the file (so only the label is left to set). */
export function uploadedAlready(record: SentRecord | undefined, file: { size: number; mtimeMs: number } | undefined): record is SentRecord {
  return record !== undefined && !isStale(record, file);
}

export interface SentJournals {
  open(key: SentJournalKey): Promise<Journal<SentRecord>>;
  /** Every image of the folder sent to any project (the latest send per image). */
  marks(folderId: string): Promise<SentMark[]>;
  close(): Promise<void>;
}

export function createSentJournals(opts: { dataDir: string; syncIntervalMs?: number }): SentJournals {
  const open = new Map<string, Promise<Journal<SentRecord>>>();
  const openFile = (file: string) => {
    let pending = open.get(file);
    if (!pending) {
      pending = openJournal<SentRecord>({ path: file, parse, key: (r) => r.id, syncIntervalMs: opts.syncIntervalMs });
      open.set(file, pending);
      pending.catch(() => open.delete(file));
    }
    return pending;
  };
  return {
    open: (key) => openFile(fileOf(opts.dataDir, key)),
    async marks(folderId) {
      if (!folderIdPattern.test(folderId)) return [];
      const dir = path.join(opts.dataDir, 'sent', folderId);
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      const latest = new Map<string, SentMark>();
      for (const name of names.filter((n) => n.endsWith('.jsonl')).sort()) {
        const journal = await openFile(path.join(dir, name));
        await journal.refresh();
        for (const r of journal.values()) {
          const at = r.labelledAt ?? r.uploadedAt;
          const previous = latest.get(r.id);
          if (previous && previous.at > at) continue;
          latest.set(r.id, { id: r.id, project: r.project, batch: r.batch, split: r.split, labels: r.labels ?? null, at });
        }
      }
      return [...latest.values()];
    },
    async close() {
      const all = [...open.values()];
      open.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => null))?.close()));
    },
  };
}

import path from 'node:path';
import { apiRef } from '../../app/model-ref';
import { normaliseSettings } from '../../app/settings';
import type { ImageEntry, ResultRecord } from '../../app/types';
import { journalKey } from '../../main/services/results';

// Stored results as the results journal keeps them: a single-label answer of two colour classes,
// `top` at 0.8 and the other at 0.2, sent at its own size (doneRecord); a line each for answers
// with given scores, failures and the entries they belong to (record, failed, entry), for tests
// of what reads them by handle (the evaluation, the send plan).

/** A done record for `id` whose top class is `top`; `extra` overrides any field. */
export function doneRecord(id: string, top: string, extra: Partial<ResultRecord> = {}): ResultRecord {
  const now = new Date().toISOString();
  return {
    id,
    size: 1000,
    mtimeMs: 1_700_000_000_000,
    status: 'done',
    response: {
      time: 0.01,
      image: { width: 10, height: 10 },
      predictions: [
        { class: top, class_id: 0, confidence: 0.8 },
        { class: top === 'red' ? 'blue' : 'red', class_id: 1, confidence: 0.2 },
      ],
      top,
      confidence: 0.8,
    },
    sent: { width: 10, height: 10, bytes: 500, resized: false, reencoded: false },
    startedAt: now,
    finishedAt: now,
    ...extra,
  };
}

const endpoint = 'http://127.0.0.1:9001';
const model = 'colors/1';
const folderId = '0123456789abcdef';
const ref = apiRef(endpoint, model);

/** One folder's results journal for one self-hosted model: the settings, ids and file a results store uses. */
export const oneJournal = {
  folderId,
  ref,
  settings: normaliseSettings({ endpointKind: 'self-hosted', endpointUrl: endpoint, model }),
  /** The journal's file under `dataDir`. */
  file: (dataDir: string) => path.join(dataDir, 'results', `${journalKey(folderId, ref)}.jsonl`),
};

/** An entry as a scan leaves it (mtime 1; `size` tells a file rewritten since its result). */
export const entry = (id: string, size = 1): ImageEntry => ({ id, name: path.posix.basename(id), size, mtimeMs: 1 });

/** A stored result of a file of size 1: single-label (scores in the API's order), or multi-label. */
export const record = (id: string, scores: Array<[string, number]>, multiLabel = false): ResultRecord => ({
  id,
  size: 1,
  mtimeMs: 1,
  status: 'done',
  response: multiLabel
    ? { predictions: Object.fromEntries(scores.map(([c, confidence]) => [c, { confidence }])), predicted_classes: scores.filter(([, c]) => c >= 0.5).map(([name]) => name) }
    : { predictions: scores.map(([c, confidence]) => ({ class: c, confidence })), top: scores[0][0], confidence: scores[0][1] },
  startedAt: 's',
  finishedAt: 'f',
});

/** A stored failure. */
export const failed = (id: string): ResultRecord => ({ id, size: 1, mtimeMs: 1, status: 'error', error: { code: 'bad_image', message: 'Not an image.' }, startedAt: 's', finishedAt: 'f' });

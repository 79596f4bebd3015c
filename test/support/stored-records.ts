import path from 'node:path';
import type { ImageEntry, ResultRecord } from '../../app/types';

// Main's entries and stored result records in a line each, for tests of what reads them by handle
// (storedRecords): the evaluation and the send plan.

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

import type { ResultRecord } from '../../app/types';

// A stored result as the results journal keeps it: a single-label answer of two colour classes,
// `top` at 0.8 and the other at 0.2, sent at its own size.

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

import type { ResultSummary } from '../../app/types';
import type { Labels } from '../../app/view-filter';
import { formatPercent } from '../../app/format';
import { nameOf } from '../../app/scan-batch';
import type { LibraryStore } from './stores/library.svelte';
import type { ReviewStore } from './stores/review.svelte';
import type { TileState } from './components/tile-state';

// A tile's accessible name: "<file name>, <class> <confidence>%" when classified,
// "<file name>, error: <reason>" on failure, "<file name>, not classified" otherwise.

/** How a classified image's labels read aloud: "cat 93%, dog 41%", then ", below threshold" when muted. */
export function labelsText(labels: Labels | null): string {
  const classes = (labels?.classes ?? []).map(([name, confidence]) => `${name} ${formatPercent(confidence)}`).join(', ');
  return `${classes}${labels?.below ? ', below threshold' : ''}`;
}

/** The state a tile shows: a live job state wins over the stored result. */
export function tileState(review: ReviewStore, id: string, result: ResultSummary | undefined): TileState {
  const live = review.liveState(id);
  if (live) return live;
  if (result) return result.status;
  return review.thumbErrors.has(id) ? 'error' : 'unclassified';
}

/** The accessible name of the tile of the listing's entry `index`. */
export function tileLabel(library: LibraryStore, review: ReviewStore, index: number): string {
  const id = library.idAt(index);
  if (id === undefined) return '';
  const name = nameOf(id);
  const result = review.aligned.at(index);
  const live = review.liveState(id);
  if (result?.status === 'done') {
    const extra = live ? `, ${live === 'running' ? 'classifying again' : 'queued again'}` : '';
    return `${name}, ${labelsText(review.labels(result))}${extra}`;
  }
  if (result?.status === 'error') return `${name}, error: ${result.error?.message ?? 'classification failed'}`;
  const thumbError = review.thumbErrors.get(id);
  if (thumbError) return `${name}, error: ${thumbError}`;
  if (live === 'running') return `${name}, not classified, classifying`;
  if (live === 'queued') return `${name}, not classified, queued`;
  return `${name}, not classified`;
}

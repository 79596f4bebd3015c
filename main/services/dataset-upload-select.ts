import type { Correction } from '../../app/corrections';
import { tagProblem, type LabelOrigin, type LabelSource, type SendItemPlan, type SendPreset } from '../../app/dataset-send';
import { groundTruthInSteps, type LabelMapping } from '../../app/ground-truth';
import { passes, passingLabels, type Threshold } from '../../app/roboflow';
import { atOnce, stepSlice } from '../../app/steps';
import type { ImageEntry } from '../../app/types';
import { storedScores, type StoredResults } from './results';

// Which images of a folder to send and the label each gets. Presets pick the images (corrected,
// flagged, mistakes against ground truth, below the threshold, all); the label comes from the
// person's correction, else the folder / CSV ground truth (as evaluate reads it), else, only when
// asked, the model's prediction at the threshold. Images of the preset without a label from the
// allowed sources are counted, never sent.

export interface SelectInput {
  entries: Iterable<ImageEntry>;
  /** Only these ids (the selection or the current filter), when given. */
  ids?: readonly string[];
  only: SendPreset;
  labels: LabelSource;
  /** The model's stored results (for predictions, mistakes, below-threshold), read by handle:
   *  `ResultsStore.stored`, or `storedRecords` over records looked up one by one. */
  results: StoredResults;
  correction: (id: string) => Correction | undefined;
  threshold: Threshold;
  /** Classes folder / CSV names are matched against: the project's, else the model's. */
  classes?: readonly string[];
  csv?: Map<string, string[]> | null;
  mapping?: LabelMapping;
  /** Only images carrying this tag (tags and notes). */
  tag?: string;
  /** Put each image's own tags (those Roboflow accepts) on its item. */
  imageTags?: boolean;
}

export interface Selection {
  items: SendItemPlan[];
  /** Images of the preset with no label from the allowed sources. */
  noLabel: number;
  /** The model's results are mostly multi-label; null when no image has a result. */
  multiLabel: boolean | null;
}

const rank: Record<LabelSource, number> = { corrections: 0, truth: 1, predictions: 2 };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export function selectForSend(input: SelectInput): Selection {
  return atOnce(selectionSteps(input));
}

/** selectForSend in steps, pausing every `slice` images: main plans a send at 250,000 images
 *  with other work served between (at one stretch, with a summary kept per image, a plan held main
 *  1.5-2.2 s and ~240 MB). Results are read by handle, a score list made only where it is asked. */
export function* selectionSteps(input: SelectInput, slice = stepSlice): Generator<void, Selection> {
  const wanted = input.ids ? new Set(input.ids) : null;
  const entries: ImageEntry[] = [];
  let read = 0;
  for (const entry of input.entries) {
    if (++read % slice === 0) yield;
    if (!wanted || wanted.has(entry.id)) entries.push(entry);
  }
  const { results } = input;
  /** Per entry: the handle of its result where it counts (done, not stale), else -1. */
  const handles = new Int32Array(entries.length).fill(-1);
  const classSet = new Set<string>();
  let multi = 0;
  let single = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && i % slice === 0) yield;
    const at = results.find(entries[i].id);
    if (at < 0 || results.status(at) !== 'done' || results.stale(at, entries[i])) continue;
    handles[i] = at;
    if (results.multiLabel(at)) multi++;
    else single++;
    for (let k = 0, n = results.scoreCount(at); k < n; k++) classSet.add(results.scoreClass(at, k));
  }
  const multiLabel = multi + single === 0 ? null : multi > single;
  const classes = input.classes && input.classes.length > 0 ? input.classes : [...classSet].sort();
  yield;
  const { truth } = yield* groundTruthInSteps({ ids: entries.map((e) => e.id), classes, mapping: input.mapping, csv: input.csv, multiLabel: multiLabel === true }, slice);
  /** Entry i's scores: every one for a multi-label result, else the best alone. */
  const scoresOf = (i: number) => storedScores(results, handles[i], !results.multiLabel(handles[i]));
  const predicted = (i: number): string[] | null => (handles[i] < 0 ? null : passingLabels(scoresOf(i), results.multiLabel(handles[i]), input.threshold).classes);

  const picked = (i: number, c: Correction | undefined): boolean => {
    if (input.tag !== undefined && !c?.tags?.includes(input.tag)) return false;
    switch (input.only) {
      case 'all':
        return true;
      case 'corrected':
        return c?.label != null;
      case 'flagged':
        return c?.flagged === true;
      case 'below-threshold': {
        const best = handles[i] < 0 ? null : passingLabels(scoresOf(i), results.multiLabel(handles[i]), 0).best;
        return best !== null && !passes(best[1], input.threshold, best[0]);
      }
      case 'mistakes': {
        const p = predicted(i);
        const known = c?.label != null ? [c.label] : truth.get(entries[i].id);
        return p !== null && known !== undefined && !sameSet(p, known);
      }
    }
  };

  const items: SendItemPlan[] = [];
  let noLabel = 0;
  for (let i = 0; i < entries.length; i++) {
    if (i > 0 && i % slice === 0) yield;
    const { id } = entries[i];
    const c = input.correction(id);
    if (!picked(i, c)) continue;
    let labels: readonly string[] | null | undefined = null;
    let origin: LabelOrigin = 'correction';
    if (c?.label != null) labels = [c.label];
    if (!labels && rank[input.labels] >= rank.truth) [labels, origin] = [truth.get(id), 'truth'];
    if (!labels?.length && rank[input.labels] >= rank.predictions) [labels, origin] = [predicted(i), 'prediction'];
    if (!labels?.length) {
      noLabel++;
      continue;
    }
    const tags = input.imageTags ? (c?.tags ?? []).filter((tag) => tagProblem(tag) === null) : [];
    items.push(tags.length ? { id, labels: [...labels], origin, tags } : { id, labels: [...labels], origin });
  }
  return { items, noLabel, multiLabel };
}

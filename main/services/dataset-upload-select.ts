import type { Correction } from '../../app/corrections';
import { tagProblem, type LabelOrigin, type LabelSource, type SendItemPlan, type SendPreset } from '../../app/dataset-send';
import { resolveGroundTruth, type LabelMapping } from '../../app/ground-truth';
import { passes, passingLabels, type Threshold } from '../../app/roboflow';
import type { ImageEntry, ResultRecord, ResultSummary } from '../../app/types';
import { summarise } from './results';

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
  /** The model's stored result per image (for predictions, mistakes, below-threshold). */
  record: (id: string) => ResultRecord | undefined;
  /** The image's summary without reading its record (the results store keeps one in memory). */
  summary?: (id: string, entry: ImageEntry) => ResultSummary | null;
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
  const wanted = input.ids ? new Set(input.ids) : null;
  const entries = [...input.entries].filter((e) => !wanted || wanted.has(e.id));
  const summaries = new Map<string, ResultSummary>();
  const classSet = new Set<string>();
  let multi = 0;
  let single = 0;
  for (const entry of entries) {
    const record = input.summary ? undefined : input.record(entry.id);
    const summary = input.summary ? input.summary(entry.id, entry) : record ? summarise(record, entry) : null;
    if (!summary) continue;
    if (summary.status !== 'done' || summary.stale) continue;
    summaries.set(entry.id, summary);
    if (summary.multiLabel) multi++;
    else single++;
    for (const [name] of summary.scores) classSet.add(name);
  }
  const multiLabel = multi + single === 0 ? null : multi > single;
  const classes = input.classes && input.classes.length > 0 ? input.classes : [...classSet].sort();
  const truth = resolveGroundTruth({ ids: entries.map((e) => e.id), classes, mapping: input.mapping, csv: input.csv, multiLabel: multiLabel === true }).truth;
  const predicted = (id: string): string[] | null => {
    const s = summaries.get(id);
    return s ? passingLabels(s.scores, s.multiLabel, input.threshold).classes : null;
  };

  const picked = (id: string): boolean => {
    const c = input.correction(id);
    if (input.tag !== undefined && !c?.tags?.includes(input.tag)) return false;
    switch (input.only) {
      case 'all':
        return true;
      case 'corrected':
        return c?.label != null;
      case 'flagged':
        return c?.flagged === true;
      case 'below-threshold': {
        const s = summaries.get(id);
        const best = s ? passingLabels(s.scores, s.multiLabel, 0).best : null;
        return best !== null && !passes(best[1], input.threshold, best[0]);
      }
      case 'mistakes': {
        const p = predicted(id);
        const known = c?.label != null ? [c.label] : truth.get(id);
        return p !== null && known !== undefined && !sameSet(p, known);
      }
    }
  };

  const items: SendItemPlan[] = [];
  let noLabel = 0;
  for (const { id } of entries) {
    if (!picked(id)) continue;
    const c = input.correction(id);
    let labels: readonly string[] | null | undefined = null;
    let origin: LabelOrigin = 'correction';
    if (c?.label != null) labels = [c.label];
    if (!labels && rank[input.labels] >= rank.truth) [labels, origin] = [truth.get(id), 'truth'];
    if (!labels?.length && rank[input.labels] >= rank.predictions) [labels, origin] = [predicted(id), 'prediction'];
    if (!labels?.length) {
      noLabel++;
      continue;
    }
    const tags = input.imageTags ? (c?.tags ?? []).filter((tag) => tagProblem(tag) === null) : [];
    items.push(tags.length ? { id, labels: [...labels], origin, tags } : { id, labels: [...labels], origin });
  }
  return { items, noLabel, multiLabel };
}

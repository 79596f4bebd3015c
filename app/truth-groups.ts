import { codeIds, idsOf, type IdList } from './front-coded';
import { atOnce, stepSlice } from './steps';

// The ground truth as the `groundTruth` answer carries it: the images grouped by their true
// labels, each group's ids front-coded. At 250,000 labelled images the list of [id, labels]
// pairs was 9.8 MB of JSON and an array per image on both sides; a folder's images share a few
// label sets, and the ids of one set mostly share their start with the one before.

/** Images by true labels: each entry a label set and the ids that have it, in the order given. */
export type TruthGroups = Array<[labels: string[], ids: IdList]>;

/** Groups a truth map by label set (label sets in order of first appearance). */
export function groupTruth(truth: Iterable<readonly [id: string, labels: readonly string[]]>): TruthGroups {
  return atOnce(groupTruthInSteps(truth));
}

/** groupTruth in steps: a `yield` every `slice` images grouped and coded (at 250,000 labelled
 *  images it held main's event loop 0.12 s at once). */
export function* groupTruthInSteps(truth: Iterable<readonly [id: string, labels: readonly string[]]>, slice = stepSlice): Generator<void, TruthGroups> {
  const groups = new Map<string, { labels: string[]; ids: string[] }>();
  let count = 0;
  for (const [id, labels] of truth) {
    if (++count % slice === 0) yield;
    // One key per label set, whatever the labels hold (a CSV label may hold any character).
    const key = labels.length === 1 ? `1${labels[0]}` : JSON.stringify(labels);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { labels: [...labels], ids: [] }));
    group.ids.push(id);
  }
  const out: TruthGroups = [];
  let coded = 0;
  for (const { labels, ids } of groups.values()) {
    out.push([labels, codeIds(ids)]);
    coded += ids.length;
    if (coded >= slice) {
      coded = 0;
      yield;
    }
  }
  return out;
}

function* truthPairs(groups: TruthGroups): Generator<[string, readonly string[]]> {
  for (const [labels, ids] of groups) for (const id of idsOf(ids)) yield [id, labels];
}

/** The truth map of groups (the ids of a group share its labels array: read it, do not change it). */
export function truthOfGroups(groups: TruthGroups): Map<string, readonly string[]> {
  return new Map(truthPairs(groups));
}

/** truthOfGroups with a `pause` every `slice` images: at 250,000 the map took the page one task of
 *  a quarter of a second. */
export async function truthOfGroupsInSteps(groups: TruthGroups, pause: () => Promise<void>, slice = 25_000): Promise<Map<string, readonly string[]>> {
  const truth = new Map<string, readonly string[]>();
  for (const [id, labels] of truthPairs(groups)) {
    truth.set(id, labels);
    if (truth.size % slice === 0) await pause();
  }
  return truth;
}

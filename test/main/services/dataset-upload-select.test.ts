import { describe, expect, it } from 'vitest';
import { runCountingPauses } from '../../support/steps';
import { thresholdRule } from '../../../app/roboflow';
import { selectForSend, selectionSteps, type SelectInput } from '../../../main/services/dataset-upload-select';
import { storedRecords } from '../../../main/services/results';
import { entry, failed, record } from '../../support/result-records';

// The send plan alone: which images a preset picks and the label each gets, from stored results
// read by handle, in steps as at once.

const records = [
  record('cat/a.jpg', [['cat', 0.9], ['dog', 0.1]]),
  record('cat/b.jpg', [['dog', 0.7], ['cat', 0.3]]),
  record('dog/c.jpg', [['dog', 0.35], ['cat', 0.3]]),
  failed('dog/d.jpg'),
  // Rewritten since its result (size 2 on disk, 1 when classified): stale, no prediction.
  record('misc/e.jpg', [['cat', 0.8], ['dog', 0.2]]),
];
const entries = [entry('cat/a.jpg'), entry('cat/b.jpg'), entry('dog/c.jpg'), entry('dog/d.jpg'), entry('misc/e.jpg', 2), entry('cat/new.jpg')];

function input(only: SelectInput['only'], labels: SelectInput['labels']): SelectInput {
  const byId = new Map(records.map((r) => [r.id, r]));
  return { entries, only, labels, results: storedRecords((id) => byId.get(id)), correction: (id) => (id === 'cat/a.jpg' ? { id, label: 'owl', reviewed: true, flagged: false, at: '' } : undefined), threshold: thresholdRule(0.5, null) };
}

describe('the send plan', () => {
  it('labels each image from its correction, else its folder, else the prediction above the threshold', () => {
    const plan = selectForSend(input('all', 'predictions'));
    expect(plan.items).toEqual([
      { id: 'cat/a.jpg', labels: ['owl'], origin: 'correction' },
      { id: 'cat/b.jpg', labels: ['cat'], origin: 'truth' },
      { id: 'dog/c.jpg', labels: ['dog'], origin: 'truth' },
      { id: 'dog/d.jpg', labels: ['dog'], origin: 'truth' },
      { id: 'cat/new.jpg', labels: ['cat'], origin: 'truth' },
    ]);
    // misc/ is no class and its result is stale: no label from any source.
    expect(plan.noLabel).toBe(1);
    expect(plan.multiLabel).toBe(false);
  });

  it('picks the mistakes and the images below the threshold by their stored best score', () => {
    // cat/b predicted dog against its folder; cat/a corrected to owl, predicted cat; dog/c has no
    // prediction above the threshold. The failed, the stale and the unclassified are not judged.
    expect(selectForSend(input('mistakes', 'truth')).items.map((i) => i.id)).toEqual(['cat/a.jpg', 'cat/b.jpg', 'dog/c.jpg']);
    // dog/c's best (0.35) is under 0.5; a failed, a stale or no result is not "below".
    expect(selectForSend(input('below-threshold', 'truth')).items.map((i) => i.id)).toEqual(['dog/c.jpg']);
  });

  it('plans the same in steps, pausing every slice of images', () => {
    for (const only of ['all', 'mistakes', 'below-threshold'] as const) {
      const { pauses, value } = runCountingPauses(selectionSteps(input(only, 'predictions'), 2));
      // Six images: listing, results, ground truth and labels, each pausing after every two.
      expect(pauses).toBeGreaterThanOrEqual(8);
      expect(value).toEqual(selectForSend(input(only, 'predictions')));
    }
  });
});

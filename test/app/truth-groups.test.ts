import { describe, expect, it } from 'vitest';
import { runCountingPauses } from '../support/steps';
import { groupTruth, groupTruthInSteps, truthOfGroups, truthOfGroupsInSteps } from '../../app/truth-groups';

// The ground truth as the groundTruth answer carries it: grouped by label set, read back as it was.

describe('truth groups', () => {
  it('read back every image with its labels, single- and multi-label, whatever the labels hold', () => {
    const truth = new Map<string, string[]>([
      ['cat/1.jpg', ['cat']],
      ['dog/1.jpg', ['dog']],
      ['cat/2.jpg', ['cat']],
      ['both/1.jpg', ['cat', 'dog']],
      // A single label that looks like the key of a set, and one with characters a CSV may hold.
      ['odd/1.jpg', ['["cat","dog"]']],
      ['odd/2.jpg', ['cat\0dog']],
      ['odd/3.jpg', ['1cat']],
    ]);
    const groups = groupTruth(truth);
    expect(groups.map(([labels]) => labels)).toEqual([['cat'], ['dog'], ['cat', 'dog'], ['["cat","dog"]'], ['cat\0dog'], ['1cat']]);
    expect(Object.fromEntries(truthOfGroups(JSON.parse(JSON.stringify(groups))))).toEqual(Object.fromEntries(truth));
  });

  it('group in steps as at once, pausing every slice of images grouped and coded', () => {
    const truth = new Map<string, string[]>(Array.from({ length: 7 }, (_, i) => [`d${i % 2}/${i}.jpg`, [i % 2 ? 'dog' : 'cat']]));
    const { pauses, value } = runCountingPauses(groupTruthInSteps(truth, 3));
    // Two while grouping (at the 3rd and 6th image), one after each group's coding passes 3 ids.
    expect(pauses).toBe(4);
    expect(value).toEqual(groupTruth(truth));
  });

  it('carry a big labelled folder in a fraction of the plain pairs', () => {
    const classes = ['cat', 'dog', 'owl', 'fox', 'bee'];
    const truth = new Map<string, string[]>();
    for (let i = 0; i < 50_000; i++) truth.set(`images/d${String(Math.floor(i / 1000)).padStart(3, '0')}/img_${String(i).padStart(6, '0')}.jpg`, [classes[Math.floor(i / 1000) % 5]]);
    const sent = JSON.stringify(groupTruth(truth));
    expect(sent.length).toBeLessThan(JSON.stringify([...truth]).length / 3);
    const back = truthOfGroups(JSON.parse(sent));
    expect(back.size).toBe(50_000);
    expect(back.get('images/d007/img_007123.jpg')).toEqual(['owl']);
  });

  it('read back in steps the same truth, pausing between slices', async () => {
    const truth = new Map(Array.from({ length: 25_000 }, (_, i) => [`d${i % 7}/img_${i}.jpg`, [`class${i % 3}`]] as const));
    const groups = groupTruth(truth);
    let pauses = 0;
    const back = await truthOfGroupsInSteps(groups, async () => void pauses++, 10_000);
    expect(pauses).toBe(2);
    expect([...back]).toEqual([...truthOfGroups(groups)]);
    expect(back.size).toBe(25_000);
  });

  it('are empty for no truth', () => {
    expect(groupTruth([])).toEqual([]);
    expect(truthOfGroups([]).size).toBe(0);
  });
});

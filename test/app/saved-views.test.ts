import { describe, expect, it } from 'vitest';
import { captureView, openedView, renamedView, viewNameProblem, withoutView, withView } from '../../app/saved-views';
import { savedViewsSetting } from '../../app/saved-views-schema';
import { normaliseSettings } from '../../app/settings';
import { defaultFilter } from '../../app/view-filter';

const folder = '0123456789abcdef';
const view = captureView('  Unsure birds ', { ...defaultFilter, classes: new Set(['bird']), confMax: 0.6, marginMax: 0.2 }, 'margin-asc', 0.55, ['second look']);

describe('saved views', () => {
  it('captures filter, sort, threshold and tags, and reopens them', () => {
    expect(view).toMatchObject({ name: 'Unsure birds', classes: ['bird'], confMax: 0.6, marginMax: 0.2, sort: 'margin-asc', threshold: 0.55, tags: ['second look'] });
    const opened = openedView(view);
    expect(opened.filter.classes).toEqual(new Set(['bird']));
    expect(opened.filter).toMatchObject({ confMin: 0, confMax: 0.6, marginMax: 0.2, entropyMin: 0, search: '' });
    expect(opened).toMatchObject({ sort: 'margin-asc', threshold: 0.55, tags: ['second look'] });
  });

  it('saves by name (same name replaces), renames unless taken, deletes', () => {
    const other = { ...view, name: 'Errors', state: 'error' as const };
    let views = withView(withView([], view), other);
    expect(views.map((v) => v.name)).toEqual(['Errors', 'Unsure birds']);
    views = withView(views, { ...view, threshold: 0.9 });
    expect(views.map((v) => [v.name, v.threshold])).toEqual([['Errors', 0.55], ['Unsure birds', 0.9]]);
    expect(renamedView(views, 'Errors', 'Unsure birds')).toBeNull();
    expect(renamedView(views, 'Errors', 'bad\nname')).toBeNull();
    expect(renamedView(views, 'Errors', ' Failures ')?.map((v) => v.name)).toEqual(['Failures', 'Unsure birds']);
    expect(withoutView(views, 'Errors').map((v) => v.name)).toEqual(['Unsure birds']);
    expect(viewNameProblem('')).toMatch(/name/);
    expect(viewNameProblem('x'.repeat(61))).toMatch(/60/);
  });

  it('drops broken views and folders on load, keeping the rest of the settings and the good views', () => {
    const raw = {
      threshold: 0.3,
      savedViews: {
        [folder]: [view, { ...view, name: 'Bad sort', sort: 'random' }, { ...view, name: 'a\u0007b' }, { ...view, threshold: 7 }, view, 'junk'],
        'not-a-folder': [view],
      },
    };
    const settings = normaliseSettings(raw);
    expect(settings.threshold).toBe(0.3);
    expect(settings.savedViews).toEqual({ [folder]: [view] });
    expect(savedViewsSetting.parse('nonsense')).toEqual({});
  });
});

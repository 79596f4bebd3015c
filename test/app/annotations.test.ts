import { describe, expect, it } from 'vitest';
import { applyTags, normaliseTag, noteProblem, tagCounts, tagSelector, tagSuggestions, tagTextProblem } from '../../app/annotations';
import { annotationFields, csvHeader, csvRow, exportImage } from '../../app/export-rows';
import { reviewFields } from '../../app/corrections';

describe('tag and note rules', () => {
  it('normalises white space and refuses empty, long, control-character and ";" tags', () => {
    expect(normaliseTag('  needs   second look ')).toBe('needs second look');
    expect(tagTextProblem('')).toMatch(/empty/);
    expect(tagTextProblem('x'.repeat(65))).toMatch(/64/);
    expect(tagTextProblem('a\u0007b')).toMatch(/control/);
    expect(tagTextProblem('a\nb')).toMatch(/control/);
    expect(tagTextProblem('a;b')).toMatch(/";"/);
    expect(tagTextProblem('blurry <script>')).toBeNull();
    expect(tagTextProblem('étiquette ✓')).toBeNull();
  });

  it('allows line breaks in notes but no other control characters, up to 1000 characters', () => {
    expect(noteProblem('first line\nsecond\tline')).toBeNull();
    expect(noteProblem('bell\u0007')).toMatch(/control/);
    expect(noteProblem('x'.repeat(1001))).toMatch(/1000/);
  });

  it('adds and removes tags into a sorted set, counts them and suggests by type-ahead', () => {
    expect(applyTags(['b', 'a'], ['C', 'a'], ['b'])).toEqual(['a', 'C']);
    expect(tagCounts([{ tags: ['blurry', 'dark'] }, { tags: ['Blurry'] }, {}, { tags: ['dark'] }])).toEqual([['Blurry', 1], ['blurry', 1], ['dark', 2]]);
    const known = ['dark', 'blurry', 'too dark'];
    expect(tagSuggestions(known, 'dar')).toEqual({ matches: ['dark', 'too dark'], create: 'dar' });
    expect(tagSuggestions(known, 'dark')).toEqual({ matches: ['dark', 'too dark'], create: null });
    expect(tagSuggestions(known, 'a;b').create).toBeNull();
  });

  it('reads --only tag:NAME', () => {
    expect(tagSelector('tag: blurry ')).toBe('blurry');
    expect(tagSelector('flagged')).toBeNull();
  });
});

describe('tags and notes in exports', () => {
  const review = reviewFields({ id: 'a.jpg', label: null, reviewed: false, flagged: false, at: 't', tags: ['=cmd', 'blurry'], note: 'looks, "odd"\nre-shoot' });

  it('writes JSON fields tags and note ([] and null without them)', () => {
    expect(exportImage({ id: 'a.jpg', imagePath: '/a.jpg', threshold: 0.5, review })).toMatchObject({ tags: ['=cmd', 'blurry'], note: 'looks, "odd"\nre-shoot' });
    expect(exportImage({ id: 'b.jpg', imagePath: '/b.jpg', threshold: 0.5 })).toMatchObject({ tags: [], note: null });
    expect(annotationFields(undefined)).toEqual({ tags: [], note: null });
  });

  it('writes CSV columns tags (joined by ";") and note last, quoted and formula-defused', () => {
    expect(csvHeader(['cat']).trim().split(',').slice(-4)).toEqual(['margin', 'entropy', 'tags', 'note']);
    const row = csvRow('a.jpg', undefined, ['cat'], 0.5, review);
    expect(row.endsWith(`,'=cmd;blurry,"looks, ""odd""\nre-shoot"\r\n`)).toBe(true);
    expect(csvRow('b.jpg', undefined, ['cat'], 0.5).endsWith(',,\r\n')).toBe(true);
  });
});

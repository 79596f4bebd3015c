import { describe, expect, it } from 'vitest';
import { runCountingPauses } from '../support/steps';
import {
  LabelMatcher,
  labelFromFolders,
  normaliseCsvPath,
  labelsCsv,
  normaliseLabel,
  parseCsvRows,
  parseLabelsCsv,
  groundTruthInSteps,
  resolveGroundTruth,
} from '../../app/ground-truth';

const classes = ['golden retriever', 'Cat', 'sea-lion'];

describe('name matching', () => {
  it('ignores case, -, _ and spaces', () => {
    expect(normaliseLabel('Golden_Retriever')).toBe('goldenretriever');
    expect(normaliseLabel(' Sea - Lion ')).toBe('sealion');
    const matcher = new LabelMatcher(classes);
    expect(matcher.match('golden-retriever')).toEqual({ kind: 'class', label: 'golden retriever' });
    expect(matcher.match('CATS')).toEqual({ kind: 'unmatched', key: 'cats' });
    expect(matcher.match('SEA_LION')).toEqual({ kind: 'class', label: 'sea-lion' });
  });

  it('lets the mapping table map or ignore a name, ahead of a direct match', () => {
    const matcher = new LabelMatcher(classes, { cats: 'Cat', misc: null, cat: 'sea-lion' });
    expect(matcher.match('Cats')).toEqual({ kind: 'class', label: 'Cat' });
    expect(matcher.match('misc')).toEqual({ kind: 'ignore' });
    expect(matcher.match('cat')).toEqual({ kind: 'class', label: 'sea-lion' });
  });
});

describe('labels from folders', () => {
  const matcher = new LabelMatcher(['cat', 'dog']);

  it('lets the nearest class-named ancestor win', () => {
    expect(labelFromFolders('dogs/cat/2023/a.jpg', new LabelMatcher(['cat', 'dogs']))).toEqual({ label: 'cat', candidate: null });
    expect(labelFromFolders('cat/nested/deeper/a.jpg', matcher)).toEqual({ label: 'cat', candidate: null });
    expect(labelFromFolders('Dog/a.jpg', matcher)).toEqual({ label: 'dog', candidate: null });
  });

  it('offers the nearest unmatched, unignored name when no ancestor matches', () => {
    expect(labelFromFolders('Kitty/2023/a.jpg', matcher)).toEqual({ label: null, candidate: '2023' });
    const ignoring = new LabelMatcher(['cat', 'dog'], { '2023': null });
    expect(labelFromFolders('Kitty/2023/a.jpg', ignoring)).toEqual({ label: null, candidate: 'Kitty' });
    expect(labelFromFolders('top.jpg', matcher)).toEqual({ label: null, candidate: null });
  });
});

describe('CSV parsing', () => {
  it('follows RFC 4180: quotes, doubled quotes, commas and newlines inside quotes, CRLF, BOM', () => {
    const text = '\ufeffpath,label\r\n"a, b.jpg","say ""hi"""\r\n"multi\nline.jpg",x\n\nlast.jpg,y';
    expect(parseCsvRows(text)).toEqual([
      { line: 1, fields: ['path', 'label'] },
      { line: 2, fields: ['a, b.jpg', 'say "hi"'] },
      { line: 3, fields: ['multi\nline.jpg', 'x'] },
      { line: 6, fields: ['last.jpg', 'y'] },
    ]);
  });

  it('detects a header and named columns in any order', () => {
    const withHeader = parseLabelsCsv('Label,File Name\ncat,img/a.JPG\n');
    expect(withHeader.header).toBe(true);
    expect([...withHeader.labels]).toEqual([['img/a.JPG', ['cat']]]);
    const noHeader = parseLabelsCsv('a.jpg,cat\nb.png,dog\n');
    expect(noHeader.header).toBe(false);
    expect([...noHeader.labels]).toEqual([['a.jpg', ['cat']], ['b.png', ['dog']]]);
    // A class named "label" does not turn a data row into a header.
    expect(parseLabelsCsv('a.jpg,label\n').header).toBe(false);
  });

  it('normalises paths, accumulates repeated paths and reports bad rows with their line', () => {
    expect(normaliseCsvPath('.\\sub\\\\x.jpg ')).toBe('sub/x.jpg');
    const parsed = parseLabelsCsv('path,label\n./a.jpg,cat\na.jpg,dog\na.jpg,cat\n,dog\nb.jpg,\n');
    expect(parsed.labels.get('a.jpg')).toEqual(['dog', 'cat']);
    expect(parsed.problems).toEqual([
      { line: 5, message: 'The row has no path.' },
      { line: 6, message: '"b.jpg" has no label; it stays unlabelled.' },
    ]);
  });
});

describe('writing a labels CSV', () => {
  it('round-trips awkward paths and labels through parseLabelsCsv', () => {
    const rows: Array<[string, string]> = [['a, b/"q".jpg', 'sea lion'], ['multi\nline.png', ' padded '], ['plain.jpg', 'cat']];
    const text = labelsCsv(rows);
    expect(text.startsWith('path,label\r\n"a, b/""q"".jpg",sea lion\r\n')).toBe(true);
    const parsed = parseLabelsCsv(text);
    expect(parsed.header).toBe(true);
    expect([...parsed.labels]).toEqual([['a, b/"q".jpg', ['sea lion']], ['multi\nline.png', ['padded']], ['plain.jpg', ['cat']]]);
  });
});

describe('resolving ground truth', () => {
  const ids = ['cats/a.jpg', 'Dog/b.jpg', 'Kitty/c.jpg', 'Kitty/d.jpg', 'misc/e.jpg', 'top.jpg'];

  it('gives the same answer in steps, pausing every slice of images', () => {
    const { pauses, value } = runCountingPauses(groundTruthInSteps({ ids, classes: ['cat', 'dog'], mapping: { kitty: 'cat' } }, 2));
    expect(pauses).toBe(3);
    expect(value).toEqual(resolveGroundTruth({ ids, classes: ['cat', 'dog'], mapping: { kitty: 'cat' } }));
    expect([...value.truth.keys()]).toEqual(['Dog/b.jpg', 'Kitty/c.jpg', 'Kitty/d.jpg']);
  });

  it('labels by folder and lists names needing a mapping with their counts', () => {
    const gt = resolveGroundTruth({ ids, classes: ['cat', 'dog'] });
    expect(gt.source).toBe('folders');
    expect([...gt.truth]).toEqual([['Dog/b.jpg', ['dog']]]);
    expect(gt.unmatched).toEqual([
      { name: 'Kitty', key: 'kitty', count: 2 },
      { name: 'cats', key: 'cats', count: 1 },
      { name: 'misc', key: 'misc', count: 1 },
    ]);
  });

  it('applies the mapping, and corrections override everything', () => {
    const gt = resolveGroundTruth({
      ids,
      classes: ['cat', 'dog'],
      mapping: { cats: 'cat', kitty: 'cat', misc: null },
      corrections: new Map([['Kitty/d.jpg', 'dog'], ['top.jpg', 'cat']]),
    });
    expect(Object.fromEntries(gt.truth)).toEqual({
      'cats/a.jpg': ['cat'], 'Dog/b.jpg': ['dog'], 'Kitty/c.jpg': ['cat'], 'Kitty/d.jpg': ['dog'], 'top.jpg': ['cat'],
    });
    expect(gt.unmatched).toEqual([]);
  });

  it('uses only the CSV when one is chosen, matching paths case-insensitively as a fallback', () => {
    const csv = parseLabelsCsv('path,label\nCATS/A.JPG,Cat\nDog/b.jpg,felines\nmissing.jpg,dog\ntop.jpg,cat\ntop.jpg,dog\n').labels;
    const gt = resolveGroundTruth({ ids, classes: ['cat', 'dog'], csv });
    expect(gt.source).toBe('csv');
    expect(Object.fromEntries(gt.truth)).toEqual({ 'cats/a.jpg': ['cat'], 'top.jpg': ['dog'] });
    expect(gt.unmatched).toEqual([{ name: 'felines', key: 'felines', count: 1 }]);
    expect(gt.unknownPaths).toEqual(['missing.jpg']);
    expect(gt.problems[0].message).toContain('"top.jpg" has 2 labels');
    const multi = resolveGroundTruth({ ids, classes: ['cat', 'dog'], csv, multiLabel: true });
    expect(multi.truth.get('top.jpg')).toEqual(['cat', 'dog']);
  });

  it('leaves every image unlabelled when no folder is a class', () => {
    const gt = resolveGroundTruth({ ids: ['a.jpg', 'b.jpg'], classes: ['cat'] });
    expect(gt.truth.size).toBe(0);
    expect(gt.unmatched).toEqual([]);
  });
});

import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabelsCsv } from '../../../app/ground-truth';
import { writeClassFolders, writeLabelsCsv } from '../../../main/services/evaluation-export';
import { datasetLabels, type EvaluateRecordsInput } from '../../../main/services/evaluation';
import { storedRecords } from '../../../main/services/results';
import { entry, record } from '../../support/result-records';
import { removeDir, tempDir, writeImage } from '../../support/service-fixtures';

// "Corrected labels" exports: where each label came from, an option to leave out images that only
// have a prediction, formulas defused (and read back as written), sub-folders on request.

const done = (id: string, top: string) => record(id, [[top, 0.9], [top === 'cat' ? 'dog' : 'cat', 0.1]]);

const ids = ['cat/a.jpg', 'cat/b.jpg', 'misc/=SUM(A1).jpg', 'misc/p.jpg'];
const records = new Map(ids.map((id) => [id, done(id, 'cat')]));
const input: EvaluateRecordsInput = {
  model: 'pets/1',
  entries: ids.map((id) => entry(id)),
  results: () => storedRecords((id) => records.get(id)),
  threshold: 0.5,
  corrections: new Map([['cat/b.jpg', 'dog']]),
};

let tmp: string;
beforeAll(async () => {
  tmp = await tempDir('cd-dataset-');
});
afterAll(() => removeDir(tmp));

describe('dataset labels export', () => {
  it('says where each label came from: correction, folder truth, or the model prediction', async () => {
    const labels = datasetLabels(input);
    expect(labels.map((l) => [l.id, l.labels, l.source])).toEqual([
      ['cat/a.jpg', ['cat'], 'truth'],
      ['cat/b.jpg', ['dog'], 'correction'],
      ['misc/=SUM(A1).jpg', ['cat'], 'prediction'],
      ['misc/p.jpg', ['cat'], 'prediction'],
    ]);
    const file = path.join(tmp, 'labels.csv');
    await writeLabelsCsv(file, labels);
    const text = await fs.readFile(file, 'utf8');
    expect(text.split('\r\n')).toEqual([
      'path,label,label_source',
      'cat/a.jpg,cat,truth',
      'cat/b.jpg,dog,correction',
      'misc/=SUM(A1).jpg,cat,prediction',
      'misc/p.jpg,cat,prediction',
      '',
    ]);
  });

  it('leaves out images that have only a prediction when asked', () => {
    expect(datasetLabels(input, { onlyConfirmed: true }).map((l) => l.id)).toEqual(['cat/a.jpg', 'cat/b.jpg']);
  });

  it('defuses formulas in paths and labels like the results CSV, and reads them back as written', async () => {
    const file = path.join(tmp, 'formula.csv');
    await writeLabelsCsv(file, [
      { id: '=cmd.jpg', labels: ['@evil'], source: 'correction' },
      { id: '-2.jpg', labels: ['+1'], source: 'truth' },
    ]);
    const text = await fs.readFile(file, 'utf8');
    expect(text).toBe("path,label,label_source\r\n'=cmd.jpg,'@evil,correction\r\n'-2.jpg,'+1,truth\r\n");
    expect([...parseLabelsCsv(text).labels]).toEqual([
      ['=cmd.jpg', ['@evil']],
      ['-2.jpg', ['+1']],
    ]);
  });

  it('class folders stay flat by default (a dataset upload), and keep sub-folders on request', async () => {
    const root = path.join(tmp, 'photos');
    for (const id of ['day1/img.jpg', 'day2/img.jpg']) await writeImage(path.join(root, id));
    const labels = [
      { id: 'day1/img.jpg', labels: ['cat'], source: 'truth' as const },
      { id: 'day2/img.jpg', labels: ['cat'], source: 'truth' as const },
      { id: 'gone.jpg', labels: ['cat'], source: 'truth' as const },
    ];
    const resolve = async (id: string) => {
      const file = path.join(root, id);
      await fs.access(file);
      return file;
    };
    const flat = await writeClassFolders(path.join(tmp, 'flat'), root, labels, resolve);
    expect((await fs.readdir(path.join(tmp, 'flat', 'cat'))).sort()).toEqual(['img (2).jpg', 'img.jpg']);
    expect(flat.skipped?.map((s) => s.id)).toEqual(['gone.jpg']);
    await writeClassFolders(path.join(tmp, 'nested'), root, labels, resolve, { keepSubfolders: true });
    expect((await fs.readdir(path.join(tmp, 'nested', 'cat'))).sort()).toEqual(['day1', 'day2']);
  });
});

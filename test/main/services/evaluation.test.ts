import { apiRef } from '../../../app/model-ref';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvalReport, FolderGroundTruth } from '../../../app/eval-report';
import { truthOfGroups } from '../../../app/truth-groups';
import type { CorrectionsChange, CorrectionsSnapshot } from '../../../app/corrections';
import { settingsSchema, type Settings } from '../../../app/settings';
import type { ImageEntry, ResultRecord } from '../../../app/types';
import { createEvaluation, evaluateRecords, type EvaluateRecordsInput } from '../../../main/services/evaluation';
import { writeCompacted } from '../../../main/services/journal-compact';
import { dispatch } from '../../../main/handlers';
import { createResultsStore, storedRecords } from '../../../main/services/results';
import { colours, solidJpeg } from '../../peer/images';
import { evaluationReport, startApp, type App } from '../../support/app-harness';
import { entry, failed, record } from '../../support/result-records';

// The ground truth, evaluation export and corrections channels end to end through the composition
// root and `dispatch` (payload validation included): stored results of the current model + folder
// names + corrections, and corrections surviving a restart of the services. The window asks main
// for the ground truth alone (it computes the metrics); main's metrics are read from its reports.

const endpoint = 'http://127.0.0.1:9';
const model = 'pets/2';
let tmp: string;
let folder: string;
let dataDir: string;
let app: App | null = null;

const response = (scores: Array<[string, number]>) => ({
  time: 0.01,
  image: { width: 8, height: 8 },
  predictions: scores.map(([c, confidence]) => ({ class: c, confidence })),
  top: scores[0][0],
  confidence: scores[0][1],
});

async function start(): Promise<App> {
  app = await startApp({ dataDir, env: process.env });
  // As if chosen in the folder dialog: openFolder opens only chosen folders.
  app.services.ports.folders.choose(folder);
  app.services.ports.settings.update({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
  return app;
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cd-evaluation-'));
  folder = path.join(tmp, 'photos');
  dataDir = path.join(tmp, 'data');
  const files: Record<string, Array<[string, number]> | 'error' | null> = {
    'cat/a.jpg': [['cat', 0.9], ['dog', 0.1]],
    'cat/b.jpg': [['dog', 0.7], ['cat', 0.3]],
    'Dog/c.jpg': [['dog', 0.8], ['cat', 0.2]],
    'dog/old/d.jpg': 'error',
    'other/e.jpg': [['cat', 0.6], ['dog', 0.4]],
    'cat/new.jpg': null,
  };
  const store = createResultsStore({ dataDir });
  const realRoot = await fs.mkdir(folder, { recursive: true }).then(() => fs.realpath(folder));
  const { folderIdOf } = await import('../../../main/services/library');
  const journal = await store.journal(folderIdOf(realRoot), apiRef(endpoint, model));
  for (const [rel, scores] of Object.entries(files)) {
    const file = path.join(folder, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, await solidJpeg(8, 8, colours.red));
    if (scores === null) continue;
    const stat = await fs.stat(file);
    const record: ResultRecord = {
      id: rel, size: stat.size, mtimeMs: stat.mtimeMs, startedAt: '2025-01-01T00:00:00Z', finishedAt: '2025-01-01T00:00:01Z',
      ...(scores === 'error' ? { status: 'error', error: { code: 'bad_image', message: 'Not an image.' } } : { status: 'done', response: response(scores) }),
    };
    await journal.append(record);
  }
  await store.close();
});

afterEach(async () => {
  await app?.close();
  app = null;
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('evaluation over IPC', () => {
  it('evaluates stored results against folder names, with corrections on top, and keeps them across a restart', async () => {
    let { call } = await start();
    const info = await call<{ folderId: string }>('openFolder', { path: folder });
    const first = await call<FolderGroundTruth>('groundTruth', { folderId: info.folderId });
    // cat/a right, cat/b wrong (dog), Dog/c right; d error; e unlabeled ("other"); new.jpg not classified.
    expect(await evaluationReport(app!, tmp, { folderId: info.folderId })).toMatchObject({
      format: 'classify-desk-eval/v2', model, classes: ['cat', 'dog'], confusion: { matrix: [[1, 1], [0, 1]] },
      counts: { images: 6, evaluated: 3, correct: 2, errors: 1, unlabeled: 1, not_classified: 1 },
    });
    expect(first.groundTruth.unmatched).toEqual([{ name: 'other', key: 'other', count: 1 }]);
    expect(truthOfGroups(first.truth).get('dog/old/d.jpg')).toEqual(['dog']);
    expect(truthOfGroups(first.truth).has('other/e.jpg')).toBe(false);
    // The window's answer has no metrics: it computes them from the results it holds.
    expect(Object.keys(first).sort()).toEqual(['groundTruth', 'truth']);

    // A mapping from the editor and a correction change the numbers.
    const changed = await call<CorrectionsChange>('setCorrection', { folderId: info.folderId, ids: ['cat/b.jpg'], label: 'dog', reviewed: true });
    expect(changed).toMatchObject({ changed: [{ id: 'cat/b.jpg', label: 'dog', reviewed: true, flagged: false }], canUndo: true, canRedo: false });
    const second = await call<FolderGroundTruth>('groundTruth', { folderId: info.folderId, mapping: { other: 'cat' } });
    expect(await evaluationReport(app!, tmp, { folderId: info.folderId, mapping: { other: 'cat' } })).toMatchObject({ counts: { evaluated: 4, correct: 4, unlabeled: 0 } });
    // `truth` stays the ground truth before corrections, for the renderer's live overlay.
    expect(truthOfGroups(second.truth).get('cat/b.jpg')).toEqual(['cat']);
    expect(truthOfGroups(second.truth).get('other/e.jpg')).toEqual(['cat']);

    await app!.close();
    ({ call } = await start());
    const reopened = await call<{ folderId: string }>('openFolder', { path: folder });
    const kept = await call<CorrectionsSnapshot>('corrections', { folderId: reopened.folderId });
    expect(kept.items.map((c) => [c.id, c.label, c.reviewed])).toEqual([['cat/b.jpg', 'dog', true]]);
    expect(kept.canUndo).toBe(true);
    await call('undoCorrection', { folderId: reopened.folderId });
    expect((await evaluationReport(app!, tmp, { folderId: reopened.folderId })).counts.correct).toBe(2);
    const redone = await call<CorrectionsChange>('redoCorrection', { folderId: reopened.folderId });
    expect(redone.changed[0].label).toBe('dog');
  });

  it('remembers a folder\'s name mapping in main, across a restart, for evaluations that bring none', async () => {
    let { call } = await start();
    const { folderId } = await call<{ folderId: string }>('openFolder', { path: folder });
    expect(await call('setGroundTruthMapping', { folderId, mapping: { other: 'cat' } })).toEqual({ other: 'cat' });
    await app!.close();
    ({ call } = await start());
    await call('openFolder', { path: folder });
    const stored = await call<FolderGroundTruth>('groundTruth', { folderId });
    // "other" counts as cat now: e.jpg (predicted cat) is evaluated and right.
    expect(truthOfGroups(stored.truth).get('other/e.jpg')).toEqual(['cat']);
    expect(await evaluationReport(app!, tmp, { folderId })).toMatchObject({ counts: { evaluated: 4, correct: 3, unlabeled: 0 } });
    expect(stored.groundTruth.unmatched).toEqual([]);
    // A mapping in the request (the window sends its own) wins over the stored one.
    expect(truthOfGroups((await call<FolderGroundTruth>('groundTruth', { folderId, mapping: {} })).truth).has('other/e.jpg')).toBe(false);
    expect((await evaluationReport(app!, tmp, { folderId, mapping: {} })).counts.unlabeled).toBe(1);
    // An empty mapping forgets the folder's.
    await call('setGroundTruthMapping', { folderId, mapping: {} });
    expect(truthOfGroups((await call<FolderGroundTruth>('groundTruth', { folderId })).truth).has('other/e.jpg')).toBe(false);
    expect((await evaluationReport(app!, tmp, { folderId })).counts.unlabeled).toBe(1);
  });

  it('keeps the mappings of the 50 most recently changed folders', async () => {
    const { call } = await start();
    const ids = Array.from({ length: 51 }, (_, i) => i.toString(16).padStart(16, '0'));
    for (const id of ids) await call('setGroundTruthMapping', { folderId: id, mapping: { other: null } });
    // Changing the first again makes it the most recent; the second is then the oldest and dropped.
    await call('setGroundTruthMapping', { folderId: ids[0], mapping: { other: 'dog' } });
    const kept = Object.keys((await call<Settings>('getSettings')).groundTruthMappings);
    expect(kept).toHaveLength(50);
    expect(kept[0]).toBe(ids[0]);
    expect(kept[1]).toBe(ids[50]);
    expect(kept).not.toContain(ids[1]);
    // The mappings are not a setting the settings form can write.
    await expect(call('setSettings', { groundTruthMappings: {} })).rejects.toThrow(/invalid_input/);
  });

  it('exports the report with its matrix CSV, and the dataset labels as CSV and class folders', async () => {
    const { call, handlers, answers } = await start();
    const { folderId } = await call<{ folderId: string }>('openFolder', { path: folder });
    await call('setCorrection', { folderId, ids: ['other/e.jpg'], label: 'dog' });
    const out = path.join(tmp, 'out');
    // Each export goes where main's (scripted) save dialog answers.
    answers.exportPath = path.join(out, 'eval.json');
    const report = await call<{ path: string; count: number }>('exportEvaluation', { folderId, kind: 'report', threshold: 0.5 });
    expect(report).toEqual({ path: path.join(out, 'eval.json'), count: 4, format: 'json' });
    expect(JSON.parse(await fs.readFile(report.path, 'utf8'))).toMatchObject({
      format: 'classify-desk-eval/v2', accuracy: 0.5, unlabeled: 0, folder: await fs.realpath(folder), endpoint,
      mistakes: [
        { path: 'cat/b.jpg', truth: ['cat'], prediction: ['dog'], confidence: 0.7 },
        { path: 'other/e.jpg', truth: ['dog'], prediction: ['cat'], confidence: 0.6 },
      ],
    });
    expect(await fs.readFile(path.join(out, 'eval-confusion.csv'), 'utf8')).toBe('true\\predicted,cat,dog,(no prediction)\r\ncat,1,1,0\r\ndog,1,1,0\r\n');

    // Correction, else ground truth, else the prediction at the threshold; images with none are left out.
    answers.exportPath = path.join(out, 'labels.csv');
    const csv = await call<{ count: number }>('exportEvaluation', { folderId, kind: 'labels-csv' });
    expect(csv.count).toBe(6);
    expect((await fs.readFile(path.join(out, 'labels.csv'), 'utf8')).split('\r\n')).toEqual([
      'path,label,label_source', 'cat/a.jpg,cat,truth', 'cat/b.jpg,cat,truth', 'cat/new.jpg,cat,truth', 'Dog/c.jpg,dog,truth', 'dog/old/d.jpg,dog,truth', 'other/e.jpg,dog,correction', '',
    ]);
    const dataset = path.join(out, 'dataset');
    answers.exportPath = dataset;
    const copied = await call<{ count: number }>('exportEvaluation', { folderId, kind: 'labels-folders' });
    expect(copied.count).toBe(6);
    expect((await fs.readdir(path.join(dataset, 'cat'))).sort()).toEqual(['a.jpg', 'b.jpg', 'new.jpg']);
    expect((await fs.readdir(path.join(dataset, 'dog'))).sort()).toEqual(['c.jpg', 'd.jpg', 'e.jpg']);
    // Never into the image folder itself.
    answers.exportPath = path.join(folder, 'dataset');
    const inside = await dispatch(handlers, 'exportEvaluation', { folderId, kind: 'labels-folders' });
    expect(inside).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // A cancelled dialog writes nothing.
    answers.exportPath = null;
    expect(await call('exportEvaluation', { folderId, kind: 'report' })).toBeNull();
  });

  it('carries corrections into the results exports as reviewed_label, reviewed_at and flagged', async () => {
    const { call, answers } = await start();
    const { folderId } = await call<{ folderId: string }>('openFolder', { path: folder });
    await call('setCorrection', { folderId, ids: ['cat/b.jpg'], label: 'cat', reviewed: true });
    await call('setCorrection', { folderId, ids: ['other/e.jpg'], flagged: true });
    const json = path.join(tmp, 'out', 'results.json');
    answers.exportPath = json;
    await call('exportResults', { folderId, format: 'json' });
    const images = new Map(
      (JSON.parse(await fs.readFile(json, 'utf8')) as { images: Array<Record<string, unknown>> }).images.map((i) => [i.path, i] as const),
    );
    expect(images.get('cat/b.jpg')).toMatchObject({ top: 'dog', reviewed_label: 'cat', flagged: false });
    expect(String(images.get('cat/b.jpg')?.reviewed_at)).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(images.get('other/e.jpg')).toMatchObject({ reviewed_label: null, flagged: true });
    expect(images.get('cat/a.jpg')).toMatchObject({ reviewed_label: null, reviewed_at: null, flagged: false });

    const csv = path.join(tmp, 'out', 'results.csv');
    answers.exportPath = csv;
    await call('exportResults', { folderId, format: 'csv' });
    const rows = (await fs.readFile(csv, 'utf8')).split('\r\n');
    expect(rows[0]).toBe('path,status,top_class,confidence,cat,dog,error_code,reviewed_label,reviewed_at,flagged,margin,entropy,tags,note');
    expect(rows.find((r) => r.startsWith('cat/b.jpg,'))).toMatch(/,cat,\d{4}-[^,]+,false,[\d.]+,[\d.]+,,$/);
    expect(rows.find((r) => r.startsWith('other/e.jpg,'))).toMatch(/,,,true,[\d.]+,[\d.]+,,$/);
  });

  it('validates payloads before any service runs', async () => {
    const { call, handlers, answers } = await start();
    const folderId = '0123456789abcdef';
    const bad = await dispatch(handlers, 'setCorrection', { folderId, ids: [], label: 'cat' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // Tags and notes: control characters and ";" are refused at the boundary, with the reason.
    for (const patch of [{ addTags: ['bad\u0007tag'] }, { addTags: ['a;b'] }, { removeTags: [''] }, { note: 'bell\u0007' }, { note: 'x'.repeat(1001) }]) {
      expect(await dispatch(handlers, 'setCorrection', { folderId, ids: ['a.jpg'], ...patch })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(await dispatch(handlers, 'exportEvaluation', { folderId, kind: 'report', threshold: 2 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    // The ground truth has no threshold: one given is refused, not silently ignored.
    expect(await dispatch(handlers, 'groundTruth', { folderId, threshold: 0.5 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(await dispatch(handlers, 'groundTruth', { folderId })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    answers.file = path.join(tmp, 'none.csv');
    expect(await call('pickLabelsCsv')).toBe(answers.file);
    const missingCsv = await dispatch(handlers, 'groundTruth', { folderId: (await call<{ folderId: string }>('openFolder', { path: folder })).folderId, labelsPath: path.join(tmp, 'none.csv') });
    expect(missingCsv).toMatchObject({ ok: false, error: { code: 'unreadable_file' } });
  });
});

// evaluateRecords alone: what the evaluation judges of each stored result, read by handle (the top
// class as the screen shows it, ties by class name; every score of a multi-label model; stale and
// failed results counted apart; the labels of the mistakes in the report).

function input(entries: ImageEntry[], records: ResultRecord[], threshold = 0.3): EvaluateRecordsInput {
  const byId = new Map(records.map((r) => [r.id, r]));
  return { model: 'pets/1', entries, results: () => storedRecords((id) => byId.get(id)), threshold, withMistakes: true };
}

describe('evaluateRecords', () => {
  it('judges a single-label image by its top class, a tie going to the first name, as the badges show it', () => {
    const evaluation = evaluateRecords(
      input(
        [entry('cat/tie.jpg'), entry('dog/tie.jpg'), entry('dog/low.jpg'), entry('cat/clear.jpg')],
        [
          record('cat/tie.jpg', [['dog', 0.45], ['cat', 0.45], ['owl', 0.1]]),
          record('dog/tie.jpg', [['dog', 0.45], ['cat', 0.45], ['owl', 0.1]]),
          record('dog/low.jpg', [['owl', 0.2], ['dog', 0.19], ['cat', 0.61]].sort((a, b) => (b[1] as number) - (a[1] as number)) as Array<[string, number]>),
          record('cat/clear.jpg', [['cat', 0.9], ['dog', 0.05], ['owl', 0.05]]),
        ],
      ),
    );
    expect(evaluation.metrics).toMatchObject({ evaluated: 4, correct: 2, classes: ['cat', 'dog', 'owl'] });
    // Both ties read "cat": right for cat/, wrong for dog/.
    expect(evaluation.report.mistakes).toEqual([
      { path: 'dog/low.jpg', truth: ['dog'], prediction: ['cat'], confidence: 0.61 },
      { path: 'dog/tie.jpg', truth: ['dog'], prediction: ['cat'], confidence: 0.45 },
    ]);
  });

  it('judges a multi-label image by every class at the threshold', () => {
    const evaluation = evaluateRecords(
      input(
        [entry('cat/a.jpg'), entry('dog/b.jpg')],
        [record('cat/a.jpg', [['cat', 0.9], ['dog', 0.6]], true), record('dog/b.jpg', [['dog', 0.8], ['cat', 0.1]], true)],
        0.5,
      ),
    );
    expect(evaluation.metrics).toMatchObject({ multiLabel: true, evaluated: 2, correct: 1 });
    expect(evaluation.report.mistakes).toEqual([{ path: 'cat/a.jpg', truth: ['cat'], prediction: ['cat', 'dog'], confidence: 0.9 }]);
  });

  it('counts failed, stale, unlabelled and unclassified images apart from the judged ones', () => {
    const evaluation = evaluateRecords(
      input(
        [entry('cat/ok.jpg'), entry('cat/changed.jpg', 2), entry('cat/failed.jpg'), entry('misc/x.jpg'), entry('cat/new.jpg')],
        [record('cat/ok.jpg', [['cat', 0.9], ['dog', 0.1]]), record('cat/changed.jpg', [['dog', 0.9], ['cat', 0.1]]), failed('cat/failed.jpg'), record('misc/x.jpg', [['dog', 0.9], ['cat', 0.1]])],
      ),
    );
    expect(evaluation.metrics).toMatchObject({ total: 5, evaluated: 1, correct: 1, errors: 1, pending: 2, unlabeled: 1 });
    expect(evaluation.groundTruth.unmatched).toEqual([{ name: 'misc', key: 'misc', count: 1 }]);
  });
});

describe('the evaluation channel at size', () => {
  // Three right, one wrong (dog/d is predicted cat).
  const stored = [record('cat/a.jpg', [['cat', 0.9], ['dog', 0.1]]), record('cat/b.jpg', [['cat', 0.8], ['dog', 0.2]]), record('dog/c.jpg', [['dog', 0.7], ['cat', 0.3]]), record('dog/d.jpg', [['cat', 0.6], ['dog', 0.4]])];
  const folderId = '00000000000000aa';

  /** The evaluation service over those stored results, `onTurn` run at each of its turns. */
  async function sized(onTurn: (turn: number, journal: Awaited<ReturnType<ReturnType<typeof createResultsStore>['journal']>>) => Promise<void> = async () => undefined) {
    const settings = settingsSchema.parse({ endpointKind: 'self-hosted', endpointUrl: endpoint, model });
    const store = createResultsStore({ dataDir, settings: { get: () => settings } });
    const journal = await store.journal(folderId, apiRef(endpoint, model));
    for (const r of stored) await journal.append(r);
    const entries = new Map(stored.map((r) => [r.id, entry(r.id)]));
    const counted = { turns: 0 };
    const evaluation = createEvaluation({
      library: { get: () => ({ info: { folderId, root: folder, name: 'photos', recursive: true }, entries, settled: Promise.resolve() }), resolve: async (_f, id) => path.join(folder, id) },
      results: store,
      corrections: { labels: async () => new Map() },
      settings: { get: () => settings },
      turn: async () => {
        await onTurn(++counted.turns, journal);
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    return { evaluation, counted, close: () => store.close() };
  }

  it('lets other work run between its steps, and judges each image by its own result when another process compacts the journal meanwhile', async () => {
    const { evaluation, counted, close } = await sized(async (turn, journal) => {
      // After the first step: another process rewrites the journal with its records the other
      // way round (as its compaction may order them), and this one picks that up.
      if (turn === 1) {
        await writeCompacted(journal.path, [...stored].reverse());
        await journal.refresh();
      }
    });
    const out = path.join(tmp, 'compacted.json');
    await evaluation.export({ folderId, threshold: 0.5, kind: 'report', path: out });
    expect(counted.turns).toBeGreaterThanOrEqual(2);
    const report = JSON.parse(await fs.readFile(out, 'utf8')) as EvalReport;
    expect(report.counts).toMatchObject({ images: 4, evaluated: 4, correct: 3 });
    expect(report.confusion.matrix).toEqual([[2, 0], [1, 1]]);
    await close();
  });

  it("answers the window's ground truth in steps too, before corrections and without metrics", async () => {
    const { evaluation, counted, close } = await sized();
    const answer = await evaluation.groundTruth({ folderId, mapping: { dog: 'cat' } });
    expect(counted.turns).toBeGreaterThanOrEqual(1);
    expect(Object.keys(answer).sort()).toEqual(['groundTruth', 'truth']);
    // Every folder named cat (dog mapped to it): one group of four.
    expect([...truthOfGroups(answer.truth)]).toEqual(stored.map((r) => [r.id, ['cat']]));
    await close();
  });

  it('makes its exports in steps too, serving other work between them', async () => {
    const { evaluation, counted, close } = await sized();
    const out = path.join(tmp, 'labels.csv');
    expect(await evaluation.export({ folderId, threshold: 0.5, kind: 'labels-csv', path: out })).toMatchObject({ path: out, count: 4 });
    expect(counted.turns).toBeGreaterThanOrEqual(2);
    const report = path.join(tmp, 'report.json');
    const before = counted.turns;
    await evaluation.export({ folderId, threshold: 0.5, kind: 'report', path: report });
    expect(counted.turns - before).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(await fs.readFile(report, 'utf8'))).toMatchObject({ mistakes: [{ path: 'dog/d.jpg', prediction: ['cat'] }] });
    await close();
  });
});

import path from 'node:path';
import { labelsCsv } from '../../app/ground-truth';
import { confusionCsv, type DatasetExportOptions, type DatasetLabel, type FolderEvaluation } from '../../app/eval-report';
import type { ExportDone, ExportSkip } from '../../app/types';
import { copyAtomically, createNamer, refuseInside, safeName, writeAtomically } from './export-files';

// Files of the evaluation exports, each written atomically: the report as JSON
// with the confusion matrix as CSV beside it, and the dataset labels as a `path,label` CSV or as
// a folder-per-class copy ready to upload to Roboflow as a classification dataset.

/** `report.json` -> `report-confusion.csv` beside it. */
export function confusionPathFor(reportPath: string): string {
  const ext = path.extname(reportPath);
  return `${ext ? reportPath.slice(0, -ext.length) : reportPath}-confusion.csv`;
}

export async function writeReport(target: string, evaluation: FolderEvaluation, dataDir?: string): Promise<ExportDone> {
  const file = path.resolve(target);
  const json = JSON.stringify(evaluation.report, null, 2) + '\n';
  await writeAtomically(file, (handle) => handle.writeFile(json, 'utf8'), dataDir);
  await writeAtomically(confusionPathFor(file), (handle) => handle.writeFile(confusionCsv(evaluation.metrics), 'utf8'), dataDir);
  return { path: file, count: evaluation.metrics.evaluated, format: 'json' };
}

/** `path,label,label_source` rows, one per label (the labels CSV reader gathers a multi-label
 *  image's rows again and ignores the source column). */
export async function writeLabelsCsv(target: string, labels: readonly DatasetLabel[], dataDir?: string): Promise<ExportDone> {
  const file = path.resolve(target);
  const rows = labels.flatMap(({ id, labels: names, source }) => names.map((name) => [id, name, source] as const));
  await writeAtomically(file, (handle) => handle.writeFile(labelsCsv(rows, true), 'utf8'), dataDir);
  return { path: file, count: labels.length, format: 'csv' };
}

/** Copies each image into <target>/<class>/ (and its sub-folders with `keepSubfolders`); `resolve`
 *  is the library's gate (no link may lead out). Images that cannot be copied are listed in `skipped`. */
export async function writeClassFolders(
  target: string,
  root: string,
  labels: readonly DatasetLabel[],
  resolve: (id: string) => Promise<string>,
  opts: Pick<DatasetExportOptions, 'keepSubfolders'> & { dataDir?: string } = {},
): Promise<ExportDone> {
  const out = path.resolve(target);
  await refuseInside([root], out, opts.dataDir);
  const name = createNamer();
  let count = 0;
  const skipped: ExportSkip[] = [];
  for (const { id, labels: names } of labels) {
    const source = await resolve(id).catch(() => null);
    if (!source) {
      // Gone or refused: it cannot be copied, the others still are.
      skipped.push({ id, code: 'unreadable_file', message: 'The file could not be read from the image folder (moved, removed, or a link leading outside).' });
      continue;
    }
    count++;
    const sub = opts.keepSubfolders ? id.split('/').slice(0, -1).map((part) => safeName(part)) : [];
    for (const cls of names) await copyAtomically(source, await name(path.join(out, safeName(cls, '_unnamed'), ...sub), path.basename(source)));
  }
  return { path: out, count, format: 'class-folders', skipped };
}

import path from 'node:path';
import { confusionCsv, type FolderEvaluation } from '../../app/eval-report';
import { labelsCsv } from '../../app/ground-truth';
import type { ExportDone } from '../../app/types';
import { copyAtomically, createNamer, refuseInside, safeName, writeAtomically } from './export-files';

// Files of the evaluation exports (issue 6 item 7), each written atomically: the report as JSON
// with the confusion matrix as CSV beside it, and the dataset labels as a `path,label` CSV or as
// a folder-per-class copy ready to upload to Roboflow as a classification dataset.

/** `report.json` -> `report-confusion.csv` beside it. */
export function confusionPathFor(reportPath: string): string {
  const ext = path.extname(reportPath);
  return `${ext ? reportPath.slice(0, -ext.length) : reportPath}-confusion.csv`;
}

export async function writeReport(target: string, evaluation: FolderEvaluation): Promise<ExportDone> {
  const file = path.resolve(target);
  const json = JSON.stringify(evaluation.report, null, 2) + '\n';
  await writeAtomically(file, (handle) => handle.writeFile(json, 'utf8'));
  await writeAtomically(confusionPathFor(file), (handle) => handle.writeFile(confusionCsv(evaluation.metrics), 'utf8'));
  return { path: file, count: evaluation.metrics.evaluated, format: 'json' };
}

export async function writeLabelsCsv(target: string, labels: Array<[string, string[]]>): Promise<ExportDone> {
  const file = path.resolve(target);
  // A multi-label image gets one row per label (the labels CSV reader gathers them again).
  const rows = labels.flatMap(([id, names]) => names.map((name) => [id, name] as const));
  await writeAtomically(file, (handle) => handle.writeFile(labelsCsv(rows), 'utf8'));
  return { path: file, count: labels.length, format: 'csv' };
}

/** Copies each image into <target>/<class>/; `resolve` is the library's gate (no link may lead out). */
export async function writeClassFolders(
  target: string,
  root: string,
  labels: Array<[string, string[]]>,
  resolve: (id: string) => Promise<string>,
): Promise<ExportDone> {
  const out = path.resolve(target);
  await refuseInside([root], out);
  const name = createNamer();
  let count = 0;
  for (const [id, names] of labels) {
    const source = await resolve(id).catch(() => null);
    if (!source) continue; // gone or refused: it cannot be copied, the others still are
    count++;
    for (const cls of names) await copyAtomically(source, await name(path.join(out, safeName(cls, '_unnamed')), path.basename(source)));
  }
  return { path: out, count, format: 'class-folders' };
}

import path from 'node:path';
import sharp from 'sharp';
import type { FolderEvaluation } from '../../app/eval-report';
import { reportHtml, reportMistakeLimit } from '../../app/report-html';
import type { ExportDone } from '../../app/types';
import { writeAtomically } from './export-files';
import { createLimiter } from './limit';

// The HTML report's file: the page comes from app/report-html.ts (pure); main prepares the small
// thumbnails of the misclassified images it embeds as data: URIs, so the file needs nothing else.

const thumbSize = 96;

/** One thumbnail as a data: URI, or null when the image cannot be read or decoded (the report
 *  shows a blank square; a missing picture must not fail the whole report). */
async function thumbnailUri(file: string): Promise<string | null> {
  try {
    const bytes = await sharp(file, { failOn: 'none' })
      .rotate()
      .resize(thumbSize, thumbSize, { fit: 'cover' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 60 })
      .toBuffer();
    return `data:image/jpeg;base64,${bytes.toString('base64')}`;
  } catch {
    return null;
  }
}

/** Thumbnails of the listed mistakes by path; `resolve` is the library's gate (no link leads out). */
export async function mistakeThumbnails(paths: readonly string[], resolve: (id: string) => Promise<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const limit = createLimiter(4);
  await Promise.all(
    paths.slice(0, reportMistakeLimit).map((id) =>
      limit(async () => {
        const file = await resolve(id).catch(() => null);
        const uri = file ? await thumbnailUri(file) : null;
        if (uri) out.set(id, uri);
      }),
    ),
  );
  return out;
}

/** Writes the self-contained HTML report (atomically). */
export async function writeHtmlReport(target: string, evaluation: FolderEvaluation, resolve: (id: string) => Promise<string>, dataDir?: string): Promise<ExportDone> {
  const file = path.resolve(target);
  const thumbnails = await mistakeThumbnails((evaluation.report.mistakes ?? []).map((m) => m.path), resolve);
  const html = reportHtml({ report: evaluation.report, sweep: evaluation.sweep, thumbnails });
  await writeAtomically(file, (handle) => handle.writeFile(html, 'utf8'), dataDir);
  return { path: file, count: evaluation.metrics.evaluated, format: 'html' };
}

import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The order vitest hands test files to its two workers. Its default runs the projects one after
// another by name (node, own-process, renderer), so the long end-to-end files of `own-process` came
// last, one worker often idle beside them while the other started a fresh process for each (a CI
// run's timeline: 67 s with one file running, 23 s with none). Here the longest work goes first, so
// the run ends on short unit files that fill both workers:
//   1. `own-process` (each file starts a keyring or a process of its own; most are end-to-end),
//   2. `renderer` (jsdom stores and components),
//   3. `node`, whose workers are then reused to the end.
// Files of one project stay together: vitest keeps a worker for the next file only when that file
// is of the same project. Within a project: the longest first by the last run's durations
// (vitest's cache, on a developer's machine); on a fresh clone, with none, end-to-end files first,
// then cross-module scenarios and the CLI, then the rest, the larger file first.

const projectRank: Record<string, number> = { 'own-process': 0, renderer: 1, node: 2 };

/** 0 for end-to-end specs, 1 for scenario and CLI files, 2 for the rest. */
function kindRank(file: string): number {
  if (file.startsWith('test/e2e/')) return 0;
  if (file.includes('/scenarios/') || file.startsWith('test/main/cli')) return 1;
  return 2;
}

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const facts = new Map(
      files.map((spec) => {
        const file = path.relative(root, spec.moduleId).split(path.sep).join('/');
        const key = `${spec.project.name}:${file}`;
        const last = this.ctx.cache.getFileTestResults(key);
        return [spec, { file, last, size: this.ctx.cache.getFileStats(key)?.size ?? 0 }] as const;
      }),
    );
    return [...files].sort((a, b) => {
      const rank = (projectRank[a.project.name] ?? 3) - (projectRank[b.project.name] ?? 3);
      if (rank !== 0) return rank;
      const fa = facts.get(a)!;
      const fb = facts.get(b)!;
      if (fa.last && fb.last) {
        if (fa.last.failed !== fb.last.failed) return fa.last.failed ? -1 : 1;
        return fb.last.duration - fa.last.duration;
      }
      return kindRank(fa.file) - kindRank(fb.file) || fb.size - fa.size;
    });
  }
}

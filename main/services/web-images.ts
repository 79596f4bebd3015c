import { AppFailure } from '../../app/errors';
import type { JobProgress, ResultSummary } from '../../app/types';
import { isHttpsImageUrl } from '../../app/web-url';
import type { Emit } from '../ports';
import type { Inference } from './inference';
import { isWebId, summarise, type ResultsStore } from './results';

// Web images: https image URLs classified through the hosted-image route (`?image=`) by the same job
// queue as files (retries, backoff, jobItem events, journalling under the URL as id). They run on a
// queue of their own, so pasting a URL neither waits for nor is swallowed by a folder run; batches
// pasted while one is still going run one after another, in order.

export interface WebImagesService {
  /** Queues the URLs of a folder's "Web images" list; resolves with the job that carries them. */
  classify(request: { folderId: string; urls: string[]; force?: boolean }): Promise<JobProgress>;
  /** Every web image result of the folder under the current endpoint + model, oldest first. */
  list(folderId: string): Promise<ResultSummary[]>;
}

export interface WebImagesOptions {
  /** A queue used only for web images (compose builds it with the same classifier and key source). */
  jobs: Pick<Inference, 'start' | 'wait'>;
  results: Pick<ResultsStore, 'current'> & Partial<Pick<ResultsStore, 'summary'>>;
}

/** Marks a progress as a web-images job, so the renderer keeps it apart from the folder's run. */
export function asWebJob<T extends JobProgress | null>(progress: T): T {
  return (progress && { ...progress, web: true }) as T;
}

/** The emit for the web-images queue: its jobProgress events carry `web: true` (events can overtake
 *  the classifyUrls answer, so the renderer cannot tell the job apart by its id alone). */
export function webJobEmit(emit: Emit): Emit {
  return (event, payload) => {
    if (event === 'jobProgress') emit('jobProgress', asWebJob(payload as JobProgress));
    else emit(event, payload);
  };
}

export function createWebImages(opts: WebImagesOptions): WebImagesService {
  // Per folder: settles when the last queued web job has ended (a failure ends it too).
  const tails = new Map<string, Promise<unknown>>();

  return {
    classify({ folderId, urls, force }) {
      const bad = urls.find((url) => !isHttpsImageUrl(url));
      if (bad !== undefined) {
        return Promise.reject(new AppFailure('invalid_input', `"${bad.slice(0, 200)}" is not an https image URL. Paste an address starting with https://.`));
      }
      const previous = tails.get(folderId) ?? Promise.resolve();
      const started = previous.then(async () => asWebJob(await opts.jobs.start({ folderId, ids: [...new Set(urls)], force })));
      const tail = started.then((progress) => opts.jobs.wait(progress.jobId)).catch(() => undefined);
      tails.set(folderId, tail);
      void tail.then(() => {
        if (tails.get(folderId) === tail) tails.delete(folderId);
      });
      return started;
    },

    async list(folderId) {
      const journal = await opts.results.current(folderId);
      if (!journal) return [];
      const out: ResultSummary[] = [];
      const summaryOf = opts.results.summary;
      if (summaryOf) {
        // From the briefs: the folder's own records are not read back to find the web ones.
        for (const id of journal.rows().keys) {
          const summary = isWebId(id) ? summaryOf(journal, id) : null;
          if (summary) out.push(summary);
        }
        return out;
      }
      for (const record of journal.values()) if (isWebId(record.id)) out.push(summarise(record));
      return out;
    },
  };
}

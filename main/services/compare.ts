import type { Settings } from '../../app/settings';
import type { JobProgress } from '../../app/types';
import type { Emit, Ports } from '../ports';
import type { Inference } from './inference';

// Model comparison: a second model's run over the same folder, on the API or on this computer. It
// goes through a job queue of its own (the same queue code, so the same skip logic, retries and
// journal per ModelRef), so
// it neither waits for the folder's run nor is taken for it: its events carry `compare: true`, and
// the renderer keeps its results apart from the current model's.

/** Marks a progress as a comparison run. */
export function asCompareJob<T extends JobProgress | null>(progress: T): T {
  return (progress && { ...progress, compare: true }) as T;
}

/** The emit for the comparison queue: its jobProgress and jobItem events carry `compare: true`
 *  (item events name no model, and their ids are the folder's own). */
export function compareJobEmit(emit: Emit): Emit {
  return (event, payload) => {
    if (event === 'jobProgress' || event === 'jobItem') emit(event, { ...payload, compare: true });
    else emit(event, payload);
  };
}

export interface CompareRouteOptions {
  jobs: Pick<Inference, 'start'>;
  compareJobs: Pick<Inference, 'start'>;
  settings: { get(): Settings };
}

/** startJob: a request naming another model or engine than the current ones (the same model on
 *  the API and on this computer is a comparison too) runs on the comparison queue. */
export function routeStart(opts: CompareRouteOptions): Ports['jobs']['start'] {
  return async (request) => {
    const { model, engine, ...rest } = request;
    const settings = opts.settings.get();
    const sameModel = !model || model === settings.model;
    const sameEngine = !engine || engine === settings.engine;
    if (sameModel && sameEngine) return opts.jobs.start(rest);
    return asCompareJob(await opts.compareJobs.start({ ...rest, model: model ?? settings.model, engine: engine ?? settings.engine }));
  };
}

import { AppFailure } from '../../app/errors';
import type { Engine, ModelRef, ModelSelection } from '../../app/model-ref';
import { endpointBase, modelIdPattern, type Settings } from '../../app/settings';

// Which model a run, a page of results, an export or an evaluation means, as one ModelRef: the
// settings' model on the settings' engine, unless the request names another model or engine (a
// comparison). The checks every consumer used to repeat (a model id of the form project/version,
// an endpoint URL, a downloaded copy) live here once, with the message that says what to do.

export interface ModelRefsOptions {
  settings: { get(): Settings };
  /** The SHA-256 of the downloaded weights of `model`, or undefined when it is not downloaded. */
  deviceSha?: (model: string) => string | undefined;
  /** What to say when a model is not downloaded (the app and the CLI name different ways to get it). */
  notDownloaded?: (model: string) => AppFailure;
}

export interface ModelRefs {
  /** The ref, or null when the settings do not name a usable model yet (nothing to show). */
  current(selection?: ModelSelection): ModelRef | null;
  /** The ref, or a clear failure saying what to set (before a run starts). */
  require(selection?: ModelSelection): ModelRef;
}

const defaultNotDownloaded = (model: string) =>
  new AppFailure('model_not_found', `The model "${model}" is not downloaded for use on this computer. Download it first (Settings: "Download for offline use", or classify-desk models pull ${model}).`);

export function createModelRefs(opts: ModelRefsOptions): ModelRefs {
  function resolve(selection: ModelSelection | undefined): ModelRef | AppFailure {
    const settings = opts.settings.get();
    const model = selection?.model ?? settings.model;
    const engine: Engine = selection?.engine ?? settings.engine;
    if (!modelIdPattern.test(model)) return new AppFailure('invalid_input', 'Set the model in Settings as project/version, for example cats-vs-dogs/3.');
    if (engine === 'on-device') {
      const sha256 = opts.deviceSha?.(model);
      return sha256 ? { engine, model, sha256 } : (opts.notDownloaded ?? defaultNotDownloaded)(model);
    }
    const endpoint = endpointBase(settings);
    if (!endpoint) return new AppFailure('invalid_input', 'Set the endpoint URL in Settings (for a self-hosted server, http://host:9001).');
    return { engine, endpoint, model };
  }
  return {
    current(selection) {
      const ref = resolve(selection);
      return ref instanceof AppFailure ? null : ref;
    },
    require(selection) {
      const ref = resolve(selection);
      if (ref instanceof AppFailure) throw ref;
      return ref;
    },
  };
}

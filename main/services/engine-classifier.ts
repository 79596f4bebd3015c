import type { ApiTarget, Classifier, EngineClassifier } from './classifier';

// The one classifier the app's queues and the CLI's infer/evaluate run through: it sends each image
// to the engine its job's ModelRef names. The on-device engine is asked for only when a device
// model runs, so the API path never loads it.

export interface EngineClassifierOptions {
  /** The Roboflow inference client (built per call in the app, so it follows the settings of the moment). */
  api: EngineClassifier<ApiTarget>;
  /** The on-device engine, created on first use. */
  device: () => Promise<EngineClassifier<{ model: string }>>;
}

export function createEngineClassifier(opts: EngineClassifierOptions): Classifier {
  return {
    async classify(input, target, signal, gate) {
      const { ref, apiKey } = target;
      if (ref.engine === 'on-device') return (await opts.device()).classify(input, { model: ref.model }, signal, gate);
      return opts.api.classify(input, { baseUrl: ref.endpoint, model: ref.model, apiKey }, signal, gate);
    },
  };
}

/** The engine classifier of one engine only (the queue over just the API, or just this computer). */
export function singleEngine(engine: { api: EngineClassifier<ApiTarget> } | { device: EngineClassifier<{ model: string }> }): Classifier {
  const missing = (name: string) => ({ classify: () => Promise.reject(new Error(`no ${name} engine here`)) });
  return 'api' in engine
    ? createEngineClassifier({ api: engine.api, device: () => Promise.resolve(missing('on-device')) })
    : createEngineClassifier({ api: missing('Roboflow API'), device: () => Promise.resolve(engine.device) });
}

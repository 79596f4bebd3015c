// Work in steps (app/steps.ts) run to its end in a test: how many times it paused, and its answer.

export function runCountingPauses<T>(steps: Generator<void, T>): { pauses: number; value: T } {
  let pauses = 0;
  for (let step = steps.next(); ; step = steps.next(), pauses++) if (step.done) return { pauses, value: step.value };
}

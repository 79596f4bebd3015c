// Work in steps: a generator that yields where its caller may let other work run (main serves a
// thumbnail or a page between two slices of a quarter-million images), or runs at once where
// nothing waits for it (the CLI, tests).

/** Runs steps to their end with no pause. */
export function atOnce<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Images between two pauses: at 250,000 images, slices of a few tens of milliseconds each. */
export const stepSlice = 50_000;

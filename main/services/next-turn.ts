// A turn of the event loop: long work in main takes one between its steps, so what came meanwhile
// (a thumbnail request, the next listing batch, a click's answer) is served in between.

/** Resolves once the event loop has gone round (what was waiting on it has run). */
export type Turn = () => Promise<void>;

export const nextTurn: Turn = () => new Promise((resolve) => setImmediate(resolve));

/** Runs steps (a generator that yields where other work may run: app/steps.ts) with a turn of the
 *  event loop between them. */
export async function inTurns<T>(steps: Generator<void, T>, turn: Turn = nextTurn): Promise<T> {
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    await turn();
  }
}

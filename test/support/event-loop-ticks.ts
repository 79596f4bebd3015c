// Other work on the event loop, for tests that check long work gives it turns: `onTick` runs at
// each turn (a chain of immediates), as a thumbnail request or a click's answer would be served.

/** Calls `onTick` at every turn of the event loop from the next one on; answers a stop. */
export function tickEachTurn(onTick: () => void): () => void {
  let ticking = true;
  const tick = () => {
    onTick();
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  return () => {
    ticking = false;
  };
}

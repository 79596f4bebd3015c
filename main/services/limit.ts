// A bounded queue: at most `concurrency` tasks run at once, the rest wait in arrival order.

export interface Limiter {
  <T>(task: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly pending: number;
}

export function createLimiter(concurrency: number): Limiter {
  const max = Math.max(1, Math.floor(concurrency));
  const waiting: Array<() => void> = [];
  let active = 0;

  const next = () => {
    active--;
    waiting.shift()?.();
  };

  const run = <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        active++;
        Promise.resolve().then(task).then(resolve, reject).finally(next);
      };
      if (active < max) start();
      else waiting.push(start);
    });

  Object.defineProperties(run, {
    active: { get: () => active },
    pending: { get: () => waiting.length },
  });
  return run as Limiter;
}

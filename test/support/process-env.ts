import { afterAll, beforeAll } from 'vitest';

/** Makes process.env exactly `env` (names it lacks are removed); the returned function puts back what was there. */
function replaceProcessEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  const become = (next: NodeJS.ProcessEnv) => {
    for (const name of Object.keys(process.env)) if (!(name in next)) delete process.env[name];
    Object.assign(process.env, next);
  };
  become(env);
  return () => become(saved);
}

/** For the enclosing describe block: process.env is what `make` returns (from beforeAll), and as before after it. */
export function useProcessEnv(make: () => Promise<NodeJS.ProcessEnv>): void {
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    restore = replaceProcessEnv(await make());
  });
  afterAll(() => restore?.());
}

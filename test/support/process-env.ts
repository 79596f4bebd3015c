/** Makes process.env exactly `env` (names it lacks are removed); the returned function puts back what was there. */
export function replaceProcessEnv(env: NodeJS.ProcessEnv): () => void {
  const saved = { ...process.env };
  const become = (next: NodeJS.ProcessEnv) => {
    for (const name of Object.keys(process.env)) if (!(name in next)) delete process.env[name];
    Object.assign(process.env, next);
  };
  become(env);
  return () => become(saved);
}

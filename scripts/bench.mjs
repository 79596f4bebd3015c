// `npm run bench -- <name> [args]` runs test/bench/<name>.ts; with no name, every benchmark in turn
// (files starting with _ are shared helpers, not benchmarks).
// Each prints JSON lines; see the README for what each measures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const [name, ...rest] = process.argv.slice(2);
const all = readdirSync('test/bench').filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3));
const chosen = name ? [name] : all;
for (const bench of chosen) {
  const file = `test/bench/${bench}.ts`;
  if (!existsSync(file)) {
    console.error(`No benchmark "${bench}". Available: ${all.join(', ')}.`);
    process.exit(2);
  }
  if (['renderer', 'review', 'page-start'].includes(bench) || chosen.length > 1) {
    const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const run = spawnSync('npx', ['tsx', file, ...rest], { stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

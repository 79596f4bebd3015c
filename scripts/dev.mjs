// `npm run dev [-- <folder>]`: rebuilds the renderer on every change and runs the app: in Electron
// when its binary is installed, otherwise in the browser host (reload the page to see changes).
import { spawn, spawnSync } from 'node:child_process';

const main = spawnSync('node', ['scripts/build-main.mjs'], { stdio: 'inherit' });
if (main.status !== 0) process.exit(main.status ?? 1);
const first = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (first.status !== 0) process.exit(first.status ?? 1);
const children = [spawn('npx', ['vite', 'build', '--watch', '--logLevel', 'warn'], { stdio: 'inherit' })];
const app = spawn('node', ['scripts/start.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
children.push(app);
app.on('exit', (code) => {
  if (code === 0) return shutdown(0);
  console.error('Falling back to the browser host.');
  children.push(spawn('npx', ['tsx', 'test/host/cli.ts', ...process.argv.slice(2)], { stdio: 'inherit' }));
});
function shutdown(code) {
  for (const child of children) child.kill('SIGTERM');
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

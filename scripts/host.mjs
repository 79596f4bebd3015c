// `npm run host -- <folder> [--port N] [--data DIR]`: builds the renderer, then serves the app to a
// browser through the test host (test/host/cli.ts). A test tool: loopback only, never packaged.
import { spawnSync, spawn } from 'node:child_process';

const built = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
const child = spawn('npx', ['tsx', 'test/host/cli.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));

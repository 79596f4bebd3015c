import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startHost } from './host';

// `npm run host -- <folder> [--port N] [--data DIR]`: serves the built renderer with the real
// services on 127.0.0.1 until Ctrl-C. The data dir is --data, else CLASSIFY_DESK_HOME, else a
// temporary folder removed on exit.

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { port: { type: 'string' }, data: { type: 'string' }, renderer: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length > 1) {
    console.log('Usage: npm run host -- <folder> [--port N] [--data DIR] [--renderer DIR (default dist/renderer)]');
    return values.help ? 0 : 2;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a number from 0 to 65535, not "${values.port}".`);
    return 2;
  }
  const chosen = values.data ?? process.env.CLASSIFY_DESK_HOME;
  const dataDir = chosen ? path.resolve(chosen) : await fs.mkdtemp(path.join(os.tmpdir(), 'classify-desk-host-'));
  const folder = positionals[0] ? path.resolve(positionals[0]) : undefined;

  const rendererDir = values.renderer ? path.resolve(values.renderer) : undefined;
  // `npm run dev` restarts the host on one token (from the environment, never the command line,
  // which other local users can read) so that the open page's cookie stays valid.
  const token = process.env.CLASSIFY_DESK_HOST_TOKEN || undefined;
  const host = await startHost({ dataDir, folder, port, rendererDir, token });
  console.log(`Classify Desk host: ${host.url}`);
  if (folder) console.log(`Folder: ${folder}`);
  console.log(`Data: ${dataDir}${chosen ? '' : ' (temporary)'}. Press Ctrl-C to stop.`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  if (!chosen) await fs.rm(dataDir, { recursive: true, force: true });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);

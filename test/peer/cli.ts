import { parseArgs } from 'node:util';
import { defaultPeerKey, startPeer } from './server';

// Starts the test peer for manual use:
//   npx tsx test/peer/cli.ts --port 9001 --latency 100 [--key K]... [--max-body BYTES] [--no-header-auth]

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9001' },
    latency: { type: 'string', default: '0' },
    key: { type: 'string', multiple: true },
    'max-body': { type: 'string' },
    'no-header-auth': { type: 'boolean', default: false },
  },
});

const peer = await startPeer({
  port: Number(values.port),
  latencyMs: Number(values.latency),
  keys: values.key ?? [defaultPeerKey],
  maxBodyBytes: values['max-body'] ? Number(values['max-body']) : undefined,
  headerAuth: !values['no-header-auth'],
});
process.stdout.write(`Roboflow test peer at ${peer.url} (models colors/1, colors-multi/1; key ${values.key ? '(given)' : defaultPeerKey})\n`);
const stop = () => void peer.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../../app/types';
import { dispatch } from '../../../main/handlers';
import { startPeer, type Peer } from '../../peer/server';
import { writeColourImages } from '../../support/colour-images';
import { startApp } from '../../support/app-harness';
import { cliCommand, repoRoot } from '../../support/cli-process';
import { startKeyring, type Keyring } from '../../support/keyring';

// The key never leaks: after `login`, a keychain-authenticated `infer`, jobs with injected failures (some
// echo the key back, as real servers do), exports, and requests with a wrong key, neither the key
// nor the wrong key appears in any file under the data dir or the export folder, in anything the
// CLI printed, or in any IPC response or event the app produced through `dispatch`.

const key = 'rf_LEAKCANARY_k7Qp2Zx9Wm4T';
const wrongKey = 'rf_WRONGCANARY_b3Nv8Rt1Yc6J';

let keyring: Keyring;
let peer: Peer;
let scratch: string;
let home: string;
let exportDir: string;
let folder: string;
let cliEnv: NodeJS.ProcessEnv;
/** Everything printed by the CLI and everything dispatch answered or emitted, as text. */
const seen: Array<{ where: string; text: string }> = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const [node, bundle] = cliCommand();
    const child = spawn(node, [bundle, ...args], { cwd: repoRoot, env: cliEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input);
    child.once('error', reject);
    child.once('close', (code) => {
      seen.push({ where: `cli ${args[0]} stdout`, text: stdout }, { where: `cli ${args[0]} stderr`, text: stderr });
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/** Where a secret (or its first part, which a truncating leak would show) turns up. */
function leaksIn(text: string): string[] {
  return [key, wrongKey].flatMap((secret) => [secret, secret.slice(0, -4)]).filter((s) => text.includes(s));
}

beforeAll(async () => {
  keyring = await startKeyring();
  // The in-process app reaches the same keychain: set before keytar first loads.
  Object.assign(process.env, keyring.env);
  delete process.env.ROBOFLOW_API_KEY;
  peer = await startPeer({ keys: [key] });
  scratch = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'cd-leak-')));
  home = path.join(scratch, 'home');
  exportDir = path.join(scratch, 'exports');
  folder = path.join(scratch, 'images');
  await fs.mkdir(exportDir, { recursive: true });
  await writeColourImages(folder, 12);
  cliEnv = { PATH: process.env.PATH, ...keyring.env, CLASSIFY_DESK_HOME: home };
});

afterAll(async () => {
  await peer?.close();
  await keyring?.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

describe('the API key never leaks', () => {
  it('through the CLI: login, keychain-authenticated infer, failures that echo the key, exports, a wrong key', async () => {
    expect((await cli(['login', '--api-url', peer.url, '--platform-url', peer.url], `${key}\n`)).code).toBe(0);

    const infer = ['infer', folder, '--model', 'colors/1', '--api-url', peer.url];
    const first = await cli([...infer, '--out', path.join(exportDir, 'first.json')]);
    expect(first.stderr).toContain('Classified 12 images');
    expect(first.code).toBe(0);
    expect(peer.stats.keysSeen.has(key)).toBe(true);

    // Per-image failures whose bodies echo the key and the URL it came in, then transient ones.
    peer.fault({ kind: 'status', status: 400, echoKey: true, count: 2 });
    peer.fault({ kind: 'status', status: 422, echoKey: true, body: 'text', count: 1 });
    peer.fault({ kind: '429', retryAfter: 0, count: 2 });
    peer.fault({ kind: 'garbage', count: 1 });
    const faulty = await cli([...infer, '--force', '--out', path.join(exportDir, 'faulty.csv'), '--annotate', path.join(exportDir, 'annotated')]);
    expect(faulty.code).toBe(1);
    expect(faulty.stderr).toMatch(/failed:/);
    expect(peer.stats.byStatus[400]).toBe(2);
    // The echoed key reached the client and was cut out before printing.
    expect(faulty.stderr).toContain('[redacted]');

    const wrong = await cli([...infer, '--force', '--api-key', wrongKey]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^classify-desk infer: .+$/m);

    const who = await cli(['whoami', '--platform-url', peer.url]);
    expect(who.stdout).toMatch(/^Workspace: test-workspace$/m);
    expect((await cli(['login', '--profile', 'wrong'], wrongKey)).code).toBe(0);
    const rejected = await cli(['whoami', '--profile', 'wrong', '--platform-url', peer.url]);
    expect(rejected.code).toBe(1);
    expect((await cli(['logout', '--profile', 'wrong'])).code).toBe(0);
    // Eight real CLI processes: seconds each on a busy machine.
  }, 180_000);

  it('through the app: every IPC response and event, with a stored key, failures, exports and a wrong key', async () => {
    const app = await startApp({
      dataDir: home,
      dialogs: { pickFolder: async () => folder, pickFile: async () => null, pickExportPath: async (_format, name) => path.join(exportDir, name) },
    });
    const { events, handlers, until, finished } = app;
    const call = async (name: string, payload: unknown = {}) => {
      const envelope = await dispatch(handlers, name, payload);
      seen.push({ where: `dispatch ${name}`, text: JSON.stringify(envelope) });
      return envelope;
    };

    try {
      await call('setSettings', { endpointKind: 'self-hosted', endpointUrl: peer.url, model: 'colors/1', platformApiUrl: peer.url, concurrency: 2 });
      expect(await call('credentialStatus')).toMatchObject({ ok: true, value: { hasKey: true, backend: 'keychain', last4: key.slice(-4) } });
      expect(await call('checkApiKey')).toMatchObject({ ok: true, value: { workspace: 'test-workspace' } });
      expect(await call('apiKeyProfiles')).toEqual({ ok: true, value: ['default'] });

      expect(await call('pickFolder')).toEqual({ ok: true, value: folder });
      const opened = await call('openFolder', { path: folder, recursive: true });
      if (!opened.ok) throw new Error(JSON.stringify(opened.error));
      const folderId = (opened.value as { folderId: string }).folderId;
      await until(() => events.some((e) => e.event === 'scanDone'));

      peer.fault({ kind: 'status', status: 400, echoKey: true, count: 3 });
      peer.fault({ kind: '503', retryAfter: 0, count: 1 });
      const started = await call('startJob', { folderId, force: true });
      if (!started.ok) throw new Error(JSON.stringify(started.error));
      await finished((started.value as JobProgress).jobId);

      const page = await call('resultsPage', { folderId, offset: 0, limit: 100 });
      const items = page.ok ? (page.value as { items: Array<{ id: string; status: string }> }).items : [];
      expect(items.filter((i) => i.status === 'error').length).toBeGreaterThan(0);
      for (const item of items) await call('resultDetail', { folderId, id: item.id });
      expect((await call('exportResults', { folderId, format: 'json' })).ok).toBe(true);
      expect((await call('exportResults', { folderId, format: 'csv' })).ok).toBe(true);

      // A wrong key for this session: the check and a job both fail, saying so without the key.
      expect((await call('setApiKey', { key: wrongKey, sessionOnly: true })).ok).toBe(true);
      expect(await call('checkApiKey')).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      const refused = await call('startJob', { folderId, force: true });
      if (refused.ok) await finished((refused.value as JobProgress).jobId);
      const stopped = events.filter((e) => e.event === 'jobProgress').map((e) => e.payload as JobProgress).at(-1);
      expect(stopped?.state).toBe('stopped');
      expect(stopped?.error?.code).toBe('unauthorized');
      // A malformed key is refused without being echoed.
      expect(await call('setApiKey', { key: `${wrongKey} with spaces` })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      await call('deleteApiKey');
      for (const name of ['credentialStatus', 'getSettings', 'appInfo', 'recentFolders']) await call(name);
    } finally {
      await app.close();
    }
    seen.push(...events.map((e) => ({ where: `event ${e.event}`, text: JSON.stringify(e.payload) })));
    expect(events.some((e) => e.event === 'jobItem')).toBe(true);
  });

  it('so no file, printed line, IPC response or event contains it', async () => {
    const files = [...(await filesUnder(home)), ...(await filesUnder(exportDir))];
    expect(files.some((f) => f.endsWith('.json') && f.startsWith(exportDir))).toBe(true);
    expect(files.some((f) => f.startsWith(home) && !f.endsWith('config.json'))).toBe(true);
    const found: string[] = [];
    for (const file of files) {
      const text = (await fs.readFile(file)).toString('latin1');
      for (const leak of leaksIn(text)) found.push(`${path.relative(scratch, file)}: ${leak}`);
    }
    for (const { where, text } of seen) for (const leak of leaksIn(text)) found.push(`${where}: ${leak}`);
    expect(found).toEqual([]);
    expect(seen.length).toBeGreaterThan(30);
  });

  it('and logout leaves nothing in the keychain', async () => {
    expect((await cli(['logout'])).code).toBe(0);
    const lookup = spawnSync('secret-tool', ['lookup', 'service', 'Classify Desk', 'account', 'default'], { env: cliEnv, encoding: 'utf8' });
    expect(lookup.stdout).toBe('');
  });
});

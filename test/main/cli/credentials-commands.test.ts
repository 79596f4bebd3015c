import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCredentialsCommand, type CredentialsCommand } from '../../../main/cli/credentials-commands';
import { createSettingsStore } from '../../../main/services/settings-store';
import { startPeer, defaultPeerKey, type Peer } from '../../peer/server';
import { cliCommand, repoRoot } from '../../support/cli-process';
import { startKeyring, withoutSessionBus, type Keyring } from '../../support/keyring';
import { useProcessEnv } from '../../support/process-env';

// `login | logout | whoami` against the real Secret Service and the test peer's platform route.
// The "no session bus" case runs first: GDBus keeps the first bus it connects to for the process.

const key = defaultPeerKey;
let scratch: string;
let home: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cd-cli-creds-'));
  home = path.join(scratch, 'home');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real command line, as a user runs it: the built `classify-desk <args>` with stdin piped. */
function cli(args: string[], input: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return spawnAndCollect(...cliCommand(), args, env, (child) => child.stdin?.end(input));
}

function spawnAndCollect(
  command: string,
  script: string | null,
  args: string[],
  env: NodeJS.ProcessEnv,
  feed: (child: ReturnType<typeof spawn>, output: () => string) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, script ? [script, ...args] : args, { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      feed(child, () => stdout);
    });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    feed(child, () => stdout);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function run(cmd: CredentialsCommand, argv: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await runCredentialsCommand(cmd, argv, {
    stdin: Readable.from([stdin]),
    stdout: out,
    stderr: err,
    env: { CLASSIFY_DESK_HOME: home, ...env },
  });
  return { code, stdout, stderr };
}

describe('without a session bus', () => {
  useProcessEnv(async () => withoutSessionBus(process.env, await mkdtemp(path.join(scratch, 'run-'))));

  it('login, logout and whoami exit 2 with one line saying there is no keychain', async () => {
    for (const cmd of ['login', 'logout', 'whoami'] as const) {
      const result = await run(cmd, [], `${key}\n`);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^classify-desk ${cmd}: No system keychain is available \\(No desktop session bus \\(D-Bus\\)`));
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toContain(key);
    }
  });
});

describe('against gnome-keyring and the test peer', () => {
  let keyring: Keyring;
  let peer: Peer;
  const lookup = (account: string) =>
    spawnSync('secret-tool', ['lookup', 'service', 'Classify Desk', 'account', account], {
      env: { ...process.env, ...keyring.env },
      encoding: 'utf8',
    }).stdout;

  beforeAll(async () => {
    keyring = await startKeyring();
    Object.assign(process.env, keyring.env);
    peer = await startPeer();
  });
  afterAll(async () => {
    await peer?.close();
    await keyring?.stop();
  });

  it('login stores the piped key in the keychain; whoami names the workspace; logout removes it', async () => {
    const login = await run('login', [], `  ${key}\n`);
    expect(login).toEqual({ code: 0, stdout: 'Stored the API key for profile default (••••6789) in the system keychain.\n', stderr: '' });
    expect(lookup('default')).toBe(key);

    const whoami = await run('whoami', ['--platform-url', peer.url]);
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/^Profile: +default$/m);
    expect(whoami.stdout).toMatch(/^Key: +••••6789$/m);
    expect(whoami.stdout).toMatch(/^Keychain: +system keychain/m);
    expect(whoami.stdout).toMatch(/^Workspace: test-workspace$/m);

    const logout = await run('logout', []);
    expect(logout).toEqual({ code: 0, stdout: 'Removed the API key for profile default from the system keychain.\n', stderr: '' });
    expect(lookup('default')).toBe('');
    expect((await run('logout', [])).stdout).toBe('No API key was stored for profile default.\n');
    const after = await run('whoami', ['--platform-url', peer.url]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/^Key: +not set/m);
  });

  it('whoami says offline (exit 0) when the platform cannot be reached, and a rejected key (exit 1) without printing it', async () => {
    const wrong = 'rf_wrong_key_QRSTUVWX5555';
    await run('login', ['--profile', 'wrong'], wrong);
    const rejected = await run('whoami', ['--profile', 'wrong'], '', { ROBOFLOW_PLATFORM_URL: peer.url });
    expect(rejected.code).toBe(1);
    expect(rejected.stdout).toMatch(/^Workspace: unknown \(.+\)$/m);
    // The peer's 401 body echoes the key it got, as the real API does.
    expect(rejected.stdout + rejected.stderr).not.toContain(wrong);
    expect(rejected.stdout + rejected.stderr).not.toContain(wrong.slice(0, -4));

    const closed = await startPeer();
    const deadUrl = closed.url;
    await closed.close();
    const offline = await run('whoami', ['--profile', 'wrong', '--platform-url', deadUrl]);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(/^Workspace: unknown \(offline: .+\)$/m);
    expect(offline.stdout + offline.stderr).not.toContain(wrong);
    await run('logout', ['--profile', 'wrong']);
    expect(lookup('wrong')).toBe('');
  });

  it('whoami --api-url asks that inference server (not the platform API) whether it takes the key; --platform-url names the workspace', async () => {
    // An inference server that knows nothing of workspaces, as a self-hosted Roboflow Inference is.
    const inferenceOnly = await startPeer({ workspace: 'not-this-one' });
    const platformCalls: string[] = [];
    const recorder = http.createServer((req, res) => {
      platformCalls.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const platformUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    try {
      await run('login', ['--api-url', inferenceOnly.url], key);
      // The key is bound to the URL given with it (Roboflow's own origins need no entry), in the settings file.
      expect(createSettingsStore({ dataDir: home }).keyOrigins('default')).toEqual([inferenceOnly.url]);
      const seen = await run('whoami', ['--api-url', inferenceOnly.url], '', { ROBOFLOW_PLATFORM_URL: platformUrl });
      expect(seen.stdout).toContain(`Endpoint:  ${inferenceOnly.url} accepts this key`);
      expect(seen.code).toBe(0);
      expect(platformCalls).toEqual([]);
      expect(inferenceOnly.stats.keysSeen.has(key)).toBe(true);

      await run('login', ['--profile', 'wrong', '--api-url', inferenceOnly.url], 'rf_wrong_key_QRSTUVWX7777');
      const refused = await run('whoami', ['--profile', 'wrong', '--api-url', inferenceOnly.url]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toMatch(/^Endpoint: +\S+ refused \(.*did not accept this API key/m);
      expect(refused.stdout + refused.stderr).not.toContain('rf_wrong_key_QRSTUVWX7777');

      const both = await run('whoami', ['--api-url', inferenceOnly.url, '--platform-url', peer.url]);
      expect(both.stdout).toMatch(/^Workspace: test-workspace$/m);
      expect((await run('whoami', ['--api-url', 'ftp://x'])).code).toBe(1);
      expect((await run('logout', ['--api-url', inferenceOnly.url])).code).toBe(1);
    } finally {
      await run('logout', []);
      await run('logout', ['--profile', 'wrong']);
      await inferenceOnly.close();
      await new Promise((resolve) => recorder.close(resolve));
    }
  });

  it('takes the profile from the settings unless --profile is given', async () => {
    createSettingsStore({ dataDir: home }).update({ profile: 'work' });
    expect((await run('login', [], 'rf_work_key_ABCDEFGH0000')).stdout).toContain('profile work (••••0000)');
    expect((await run('login', ['--profile', 'personal'], 'rf_personal_key_ABCDEFGH1111')).stdout).toContain('profile personal (••••1111)');
    expect(lookup('work')).toBe('rf_work_key_ABCDEFGH0000');
    expect(lookup('personal')).toBe('rf_personal_key_ABCDEFGH1111');
    expect(lookup('default')).toBe('');
    await run('logout', []);
    await run('logout', ['--profile', 'personal']);
    expect(lookup('work') + lookup('personal')).toBe('');
  });

  it('refuses an empty stdin, text that is not a key, and unknown options', async () => {
    expect(await run('login', [], '   \n')).toMatchObject({ code: 1, stdout: '' });
    const bad = await run('login', [], 'not a key at all');
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('not a key at all');
    expect((await run('login', ['--api-key', key])).code).toBe(1);
    expect(lookup('default')).toBe('');
  });
});

describe('the classify-desk command', () => {
  let keyring: Keyring;
  let peer: Peer;
  let env: NodeJS.ProcessEnv;
  const lookup = (account: string) =>
    spawnSync('secret-tool', ['lookup', 'service', 'Classify Desk', 'account', account], { env, encoding: 'utf8' }).stdout;

  beforeAll(async () => {
    keyring = await startKeyring();
    peer = await startPeer();
    env = { PATH: process.env.PATH, ...keyring.env, CLASSIFY_DESK_HOME: path.join(scratch, 'spawned-home') };
  });
  afterAll(async () => {
    await peer?.close();
    await keyring?.stop();
  });

  it('login stores a piped key that secret-tool finds; whoami names the workspace; logout removes it', async () => {
    const login = await cli(['login'], `${key}\n`, env);
    expect(login).toEqual({ code: 0, stdout: 'Stored the API key for profile default (••••6789) in the system keychain.\n', stderr: '' });
    expect(lookup('default')).toBe(key);
    const whoami = await cli(['whoami'], '', { ...env, ROBOFLOW_PLATFORM_URL: peer.url });
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toMatch(/^Workspace: test-workspace$/m);
    expect(whoami.stdout + whoami.stderr).not.toContain(key);
    expect((await cli(['logout'], '', env)).code).toBe(0);
    expect(lookup('default')).toBe('');
  });

  it('on a terminal, prompts on stderr and reads the key without echo, with backspace; Ctrl-C stores nothing', async () => {
    // `script` gives the command a pseudo-terminal; what it prints is everything the terminal showed.
    const typed = `${key.slice(0, -1)}Zz\x7f\x7f${key.slice(-1)}\r`;
    const onTerminal = (keys: string) =>
      spawnAndCollect('script', null, ['-qfec', `${cliCommand().map((part) => `'${part}'`).join(' ')} login --profile tty`, '/dev/null'], env, (child, output) => {
        const sent = child as unknown as { sent?: boolean };
        if (!sent.sent && output().includes('Roboflow API key for profile "tty": ')) {
          sent.sent = true;
          child.stdin?.write(keys);
        }
      });
    const stored = await onTerminal(typed);
    expect(stored.code).toBe(0);
    expect(stored.stdout).toContain('Stored the API key for profile tty (••••6789)');
    expect(stored.stdout).not.toContain(key.slice(0, 8));
    expect(lookup('tty')).toBe(key);
    expect((await cli(['logout', '--profile', 'tty'], '', env)).code).toBe(0);

    const interrupted = await onTerminal(`${key}\x03`);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stdout).toContain('interrupted; nothing was stored');
    expect(lookup('tty')).toBe('');
  });

  it('without a session bus, or with a locked keyring, login exits 2 with one line and no stack trace', async () => {
    const noBus = withoutSessionBus(env, await mkdtemp(path.join(scratch, 'run-')));
    const refused = await cli(['login'], key, noBus);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^classify-desk login: No system keychain is available \(No desktop session bus \(D-Bus\)[^\n]*\n$/);
    expect(refused.stderr).not.toMatch(/\bat \S+ \(|node:internal/);

    const locked = await startKeyring({ locked: true });
    try {
      const lockedEnv = { ...env, ...locked.env };
      const result = await cli(['login'], key, lockedEnv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^classify-desk login: No system keychain is available \(The system keychain is locked\)[^\n]*\n$/);
    } finally {
      await locked.stop();
    }
  });
});

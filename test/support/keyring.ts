import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// A real Secret Service for tests: a private D-Bus session bus plus an unlocked gnome-keyring with a
// throw-away HOME, started in-process so a test file can point process.env at it before keytar
// first loads (vitest forks one process per test file, and GDBus keeps the first bus it connects to).
// Missing system pieces fail loudly, never skip (`.ci/run` installs gnome-keyring, dbus, libsecret-tools).

export interface Keyring {
  /** DBUS_SESSION_BUS_ADDRESS, HOME and XDG_RUNTIME_DIR of the private session. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const required = ['dbus-daemon', 'gnome-keyring-daemon', 'dbus-send'];

function missingTools(): string[] {
  return required.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(timer);
}

function readAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const fail = (why: string) => reject(new Error(`dbus-daemon did not start: ${why} ${err.trim()}`));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(line.trim());
    });
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code) => fail(`exit code ${code}`));
  });
}

function secretsOwned(env: NodeJS.ProcessEnv): boolean {
  const probe = spawnSync(
    'dbus-send',
    ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets'],
    { env, encoding: 'utf8' },
  );
  return probe.status === 0 && /boolean true/.test(probe.stdout);
}

async function waitFor(env: NodeJS.ProcessEnv, owned: boolean, daemon?: ChildProcess, log?: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (secretsOwned(env) !== owned) {
    if (daemon && daemon.exitCode !== null) throw new Error(`gnome-keyring-daemon exited: ${log?.().trim()}`);
    if (Date.now() > deadline) throw new Error(`org.freedesktop.secrets did not ${owned ? 'appear' : 'go away'}: ${log?.().trim() ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startDaemon(env: NodeJS.ProcessEnv, unlock: boolean): Promise<ChildProcess> {
  const daemon = spawn('gnome-keyring-daemon', ['--foreground', ...(unlock ? ['--unlock'] : []), '--components=secrets'], {
    env,
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let log = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  // --unlock reads the password of the (new) login keyring from stdin until EOF.
  daemon.stdin?.end(unlock ? 'test-password' : '');
  try {
    await waitFor(env, true, daemon, () => log);
  } catch (error) {
    await kill(daemon);
    throw error;
  }
  return daemon;
}

/**
 * Starts a private session bus and gnome-keyring (unlocked, or `locked` to test that failure);
 * `stop()` ends both and removes HOME.
 */
export async function startKeyring(opts: { locked?: boolean } = {}): Promise<Keyring> {
  const missing = missingTools();
  if (missing.length) {
    const ci = process.env.CI === 'true' ? ' (CI)' : '';
    throw new Error(
      `The keychain tests need ${missing.join(', ')}${ci}: install the Debian packages gnome-keyring dbus libsecret-1-0 libsecret-tools.`,
    );
  }
  const root = await mkdtemp(path.join(os.tmpdir(), 'cd-keyring-'));
  const home = path.join(root, 'home');
  const runtime = path.join(root, 'run');
  await mkdir(home, { mode: 0o700 });
  await mkdir(runtime, { mode: 0o700 });
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: runtime, LANG: 'C.UTF-8' };

  let bus: ChildProcess | undefined;
  let keyring: ChildProcess | undefined;
  const stop = async () => {
    await kill(keyring);
    await kill(bus);
    await rm(root, { recursive: true, force: true });
  };

  try {
    bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1', `--address=unix:path=${path.join(root, 'bus')}`], {
      env: base,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const address = await readAddress(bus);
    const env: NodeJS.ProcessEnv = { ...base, DBUS_SESSION_BUS_ADDRESS: address };

    keyring = await startDaemon(env, true);
    if (opts.locked) {
      // The first daemon created the login keyring; a second one without --unlock leaves it locked.
      await kill(keyring);
      await waitFor(env, false);
      keyring = await startDaemon(env, false);
    }
    return { env: { DBUS_SESSION_BUS_ADDRESS: address, HOME: home, XDG_RUNTIME_DIR: runtime }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An environment with no way to reach any session bus (no address, no X display, empty runtime dir). */
export function withoutSessionBus(env: NodeJS.ProcessEnv, emptyRuntimeDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, XDG_RUNTIME_DIR: emptyRuntimeDir };
  delete out.DBUS_SESSION_BUS_ADDRESS;
  delete out.DISPLAY;
  delete out.WAYLAND_DISPLAY;
  return out;
}

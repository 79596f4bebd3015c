import fs from 'node:fs/promises';
import os from 'node:os';
import { AppFailure } from '../../app/errors';

// One writer per results journal across processes: two runs of one folder with one model (two CLI
// runs, or the CLI and the app) would send every image twice. A run holds `<journal>.lock`, made
// with O_EXCL and holding the owner's pid and host; the owner touches it while it runs. A lock is
// stale when its owner's process is gone (same host), or when nobody touched it for `staleMs`
// (another host on a shared disk, a hung owner). Within one process the lock is shared (the app's
// folder run and its web-image run write the same journal through one serialised handle).

export interface RunLock {
  release(): Promise<void>;
}

export interface RunLockOptions {
  /** A lock untouched this long is stale (default 60 s); the owner touches it every third of that. */
  staleMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  at: string;
}

interface Held {
  count: number;
  timer: NodeJS.Timeout;
}

const held = new Map<string, Held>();
const defaultStaleMs = 60_000;

export const anotherRunMessage = 'Another run is classifying this folder with this model. Wait for it to finish (or stop it), then run again.';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(file: string, staleMs: number): Promise<{ stale: boolean; text: string }> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await fs.readFile(file, 'utf8');
    mtimeMs = (await fs.stat(file)).mtimeMs;
  } catch {
    return { stale: true, text: '' }; // gone meanwhile: try again
  }
  if (Date.now() - mtimeMs > staleMs) return { stale: true, text };
  let owner: Partial<Owner> | null;
  try {
    owner = JSON.parse(text) as Partial<Owner>;
  } catch {
    // Written but not yet filled by its owner, or torn by a crash: only its age can tell.
    return { stale: Date.now() - mtimeMs > 5_000, text };
  }
  if (owner && owner.host === os.hostname() && typeof owner.pid === 'number') {
    // Our own pid without an entry in `held`: a lock of ours that is being removed right now.
    if (owner.pid === process.pid || !alive(owner.pid)) return { stale: true, text };
  }
  return { stale: false, text };
}

/** Takes the lock of `journalPath`, or throws AppFailure with `anotherRunMessage` while another
 *  live process holds it. */
export async function acquireRunLock(journalPath: string, opts: RunLockOptions = {}): Promise<RunLock> {
  const file = `${journalPath}.lock`;
  const staleMs = opts.staleMs ?? defaultStaleMs;
  const mine = held.get(file);
  if (mine) {
    mine.count++;
    return { release: releaser(file) };
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(file, 'wx', 0o600);
      try {
        const owner: Owner = { pid: process.pid, host: os.hostname(), at: new Date().toISOString() };
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { stale, text } = await isStale(file, staleMs);
    if (!stale || attempt >= 3) throw new AppFailure('invalid_input', anotherRunMessage);
    // Remove the stale lock only if it is still the one judged (another process may have taken
    // over the stale lock meanwhile).
    const again = await fs.readFile(file, 'utf8').catch(() => null);
    if (again === text) await fs.rm(file, { force: true });
  }
  const touch = () => {
    const now = new Date();
    fs.utimes(file, now, now).catch(() => undefined);
  };
  const timer = setInterval(touch, Math.max(1000, Math.floor(staleMs / 3)));
  timer.unref();
  held.set(file, { count: 1, timer });
  return { release: releaser(file) };
}

function releaser(file: string): () => Promise<void> {
  let done = false;
  return async () => {
    if (done) return;
    done = true;
    const entry = held.get(file);
    if (!entry || --entry.count > 0) return;
    held.delete(file);
    clearInterval(entry.timer);
    await fs.rm(file, { force: true });
  };
}

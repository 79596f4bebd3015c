import { constants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { AppFailure } from '../../app/errors';

// Opening an image the library's gate checked, without a window for a swap. The gate resolves an
// id to a real path inside the folder; between that check and any later open the file (or a
// folder above it) could be replaced by a link leading out. So every reader opens the checked
// path ONCE, proves the open handle is that very file, and reads only from the handle.
//
// The open refuses a link in the last segment (O_NOFOLLOW) and never blocks on a FIFO
// (O_NONBLOCK). The proof:
// - Linux: /proc/self/fd/N names the file the handle refers to; it must be the checked path.
// - elsewhere (macOS, Windows, a Linux without /proc): the path must still be real (realpath
//   unchanged) and name the same file as the handle (dev + inode of lstat and fstat equal).
//   This re-check narrows the window to a swap back and forth between two system calls.
// Windows has no O_NOFOLLOW (the constant is absent, so it adds nothing); the re-check is what
// refuses a link or junction there.

export interface OpenedImage {
  handle: fs.FileHandle;
  stat: Stats;
}

const copyChunk = 1 << 20;
const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
let procFd = process.platform === 'linux';

const refused = () => new AppFailure('invalid_input', 'Refused: that path leads outside the opened folder.');

function openFailure(error: unknown, name: string): AppFailure {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  // ELOOP (Linux) / EMLINK (FreeBSD): the last segment became a link after the check.
  if (code === 'ELOOP' || code === 'EMLINK') return refused();
  if (code === 'ENOENT') return new AppFailure('unreadable_file', `"${name}" is gone: it was moved or deleted. Rescan the folder.`);
  if (code === 'EACCES' || code === 'EPERM') return new AppFailure('unreadable_file', `"${name}" cannot be read: permission denied. Check its permissions.`);
  return new AppFailure('unreadable_file', `"${name}" could not be read (${code ?? 'unknown error'}).`);
}

async function isSameFile(handle: fs.FileHandle, checked: string, st: Stats): Promise<boolean> {
  if (procFd) {
    try {
      return (await fs.readlink(`/proc/self/fd/${handle.fd}`)) === checked;
    } catch {
      procFd = false; // no /proc here (a container without it): use the re-check from now on
    }
  }
  try {
    if ((await fs.realpath(checked)) !== checked) return false;
    const now = await fs.lstat(checked);
    return now.dev === st.dev && now.ino === st.ino;
  } catch {
    return false;
  }
}

/** Opens the real path `checked` (as the library's gate returned it) and proves the handle is that
 *  regular file; the caller reads only from the handle and closes it. */
export async function openChecked(checked: string): Promise<OpenedImage> {
  const name = checked.split(/[\\/]/).pop() ?? checked;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(checked, flags);
  } catch (error) {
    throw openFailure(error, name);
  }
  try {
    const stat = await handle.stat();
    if (!(await isSameFile(handle, checked, stat))) throw refused();
    if (!stat.isFile()) throw new AppFailure('unreadable_file', `"${name}" is not a regular file, so it cannot be read.`);
    return { handle, stat };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof AppFailure ? error : openFailure(error, name);
  }
}

/** The whole file at `checked`, read through a proven handle, with the stat of that handle. */
export async function readChecked(checked: string): Promise<{ bytes: Buffer; stat: Stats }> {
  const { handle, stat } = await openChecked(checked);
  try {
    return { bytes: await handle.readFile(), stat };
  } catch (error) {
    throw openFailure(error, checked.split(/[\\/]/).pop() ?? checked);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** Copies the file at `checked` into `target` (a new file) through a proven handle. */
export async function copyChecked(checked: string, target: string): Promise<void> {
  const { handle } = await openChecked(checked);
  const out = await fs.open(target, 'wx');
  try {
    const buffer = Buffer.allocUnsafe(copyChunk);
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, copyChunk, position);
      if (bytesRead === 0) break;
      await out.write(buffer, 0, bytesRead);
      position += bytesRead;
    }
  } finally {
    await Promise.all([handle.close().catch(() => undefined), out.close().catch(() => undefined)]);
  }
}

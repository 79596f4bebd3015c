import fs from 'node:fs/promises';
import { newline } from './journal-read';
import { privateFileMode } from './paths';

// Appending to a journal: the O_APPEND handle every line goes through, and the repair after a
// write that failed part way.

/** Writes one appended line (tests inject a failing disk here). */
export type WriteLine = (handle: fs.FileHandle, text: string) => Promise<unknown>;

export const writeToHandle: WriteLine = (handle, text) => handle.write(text);

/** Opens a journal for appending, readable by the user only (older journals are tightened). */
export async function openForAppend(file: string): Promise<fs.FileHandle> {
  const handle = await fs.open(file, 'a+', privateFileMode);
  if (process.platform !== 'win32') await handle.chmod(privateFileMode).catch(() => undefined);
  return handle;
}

/** Cuts a torn last line (no newline: an append that failed part way, e.g. disk full) so the next
 *  append starts on a line of its own instead of being glued to the fragment. */
async function cutTornTail(file: fs.FileHandle): Promise<void> {
  let end = (await file.stat()).size;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const size = end;
  while (end > 0) {
    const from = Math.max(0, end - buffer.length);
    const { bytesRead } = await file.read(buffer, 0, end - from, from);
    const nl = buffer.subarray(0, bytesRead).lastIndexOf(newline);
    if (nl !== -1) {
      if (from + nl + 1 < size) await file.truncate(from + nl + 1);
      return;
    }
    end = from;
  }
  if (size > 0) await file.truncate(0);
}

/** Appends one complete line in one write; when the write fails, no fragment of it stays behind. */
export async function appendLine(handle: fs.FileHandle, line: string, write: WriteLine): Promise<void> {
  try {
    await write(handle, line);
  } catch (error) {
    await cutTornTail(handle).catch(() => undefined);
    throw error;
  }
}

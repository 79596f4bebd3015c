import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock, anotherRunMessage } from '../../../main/services/run-lock';
import { removeDir, tempDir } from '../../support/service-fixtures';

// The run lock against real processes: a live owner keeps others out; a dead or silent one does not.

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => removeDir(dir));

const ownerText = (pid: number, host = os.hostname()) => JSON.stringify({ pid, host, at: new Date().toISOString() });

describe('run lock', () => {
  it('refuses while another live process holds the lock, and takes it once that process is gone', async () => {
    const journal = path.join(dir, 'a.jsonl');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await fs.writeFile(`${journal}.lock`, ownerText(other.pid as number));
      await expect(acquireRunLock(journal)).rejects.toMatchObject({ message: anotherRunMessage });
    } finally {
      const gone = new Promise((resolve) => other.once('exit', resolve));
      other.kill('SIGKILL');
      await gone;
    }
    // The owner died without removing its lock (kill -9): the lock is stale.
    const lock = await acquireRunLock(journal);
    expect(JSON.parse(await fs.readFile(`${journal}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    await expect(fs.access(`${journal}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock nobody touched for longer than the stale time (a hung owner, another host)', async () => {
    const journal = path.join(dir, 'b.jsonl');
    await fs.writeFile(`${journal}.lock`, ownerText(1, 'some-other-host'));
    await expect(acquireRunLock(journal, { staleMs: 60_000 })).rejects.toMatchObject({ message: anotherRunMessage });
    const old = new Date(Date.now() - 120_000);
    await fs.utimes(`${journal}.lock`, old, old);
    const lock = await acquireRunLock(journal, { staleMs: 60_000 });
    await lock.release();
  });

  it('is shared within one process and removed when its last holder releases it', async () => {
    const journal = path.join(dir, 'c.jsonl');
    const first = await acquireRunLock(journal);
    const second = await acquireRunLock(journal);
    await first.release();
    await first.release();
    await expect(fs.access(`${journal}.lock`)).resolves.toBeUndefined();
    await second.release();
    await expect(fs.access(`${journal}.lock`)).rejects.toMatchObject({ code: 'ENOENT' });
    // Released and taken again at once (a second run right after the first in the same process).
    await (await acquireRunLock(journal)).release();
  });
});

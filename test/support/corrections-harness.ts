import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { createCorrections, type CorrectionsService } from '../../main/services/corrections';

/** The folder the corrections tests write for. */
export const correctionsFolderId = '0123456789abcdef';

/** For the enclosing test file: a fresh data folder per test, and corrections services on it whose
 *  clock advances one second per reading (so steps order by time); closed and removed after each test. */
export function useCorrections(prefix: string) {
  let dataDir = '';
  let opened: CorrectionsService[] = [];
  let tick = 0;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    tick = 0;
  });
  afterEach(async () => {
    for (const s of opened) await s.close();
    opened = [];
    await fs.rm(dataDir, { recursive: true, force: true });
  });
  return {
    dataDir: () => dataDir,
    service(): CorrectionsService {
      const s = createCorrections({ dataDir, clock: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)) });
      opened.push(s);
      return s;
    },
    journalPath: () => path.join(dataDir, 'corrections', `${correctionsFolderId}.jsonl`),
  };
}

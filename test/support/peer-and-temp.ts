import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startPeer, type Peer } from '../peer/server';

/** For the enclosing test file: one temp folder (`prefix`…) and one test peer, started before its
 *  tests and gone after them; `use` receives both once they exist. */
export function peerAndTempForFile(prefix: string, use: (tmp: string, peer: Peer) => void): void {
  let tmp = '';
  let peer: Peer | undefined;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    peer = await startPeer();
    use(tmp, peer);
  });
  afterAll(async () => {
    await peer?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });
}

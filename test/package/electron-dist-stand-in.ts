import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// An unpacked "Electron distribution" that electron-builder accepts offline (`-c.electronDist`): the
// file names of a real Linux build, with a placeholder executable. The executable carries the fuse
// wire of a real Electron binary (@electron/fuses looks for its sentinel), so the fuses that
// electron-builder flips at packaging time can be read back from the packaged executable.

const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX');

/** Fuse wire v1, in order; a real Electron 45 ships runAsNode, NODE_OPTIONS, --inspect and file:// privileges on. */
export const fuseNames = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;
const electronDefaults = '10110001';

const plainFiles = [
  'chrome-sandbox',
  'chrome_100_percent.pak',
  'chrome_200_percent.pak',
  'chrome_crashpad_handler',
  'icudtl.dat',
  'libEGL.so',
  'libGLESv2.so',
  'libffmpeg.so',
  'libvk_swiftshader.so',
  'LICENSE',
  'LICENSES.chromium.html',
  'resources.pak',
  'snapshot_blob.bin',
  'v8_context_snapshot.bin',
  'vk_swiftshader_icd.json',
  'locales/en-US.pak',
];

export async function writeElectronDistStandIn(dir: string, version: string): Promise<void> {
  await mkdir(join(dir, 'locales'), { recursive: true });
  await mkdir(join(dir, 'resources'), { recursive: true });
  for (const name of plainFiles) await writeFile(join(dir, name), '');
  await writeFile(join(dir, 'version'), version);
  const script = Buffer.from('#!/bin/sh\necho "Electron stand-in: the real binary is not installed here" >&2\nexit 1\n# ');
  const wire = Buffer.concat([sentinel, Buffer.from([1, fuseNames.length]), Buffer.from(electronDefaults), Buffer.from('\n')]);
  await writeFile(join(dir, 'electron'), Buffer.concat([script, wire]), { mode: 0o755 });
}

/** The fuses of a packaged executable: true = on, false = off. */
export async function readFuses(executable: string): Promise<Record<(typeof fuseNames)[number], boolean>> {
  const bytes = await readFile(executable);
  const at = bytes.indexOf(sentinel);
  if (at < 0) throw new Error(`${executable} has no fuse wire`);
  const start = at + sentinel.length + 2;
  const wire = bytes.subarray(start, start + bytes[at + sentinel.length + 1]).toString('latin1');
  return Object.fromEntries(fuseNames.map((name, i) => [name, wire[i] === '1'])) as Record<(typeof fuseNames)[number], boolean>;
}

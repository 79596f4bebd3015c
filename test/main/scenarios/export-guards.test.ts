import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../../main/services/evaluation-export';
import { writeExport, type WriteExportRequest } from '../../../main/services/exporter';
import { removeDir, tempDir, writeImage } from '../../support/service-fixtures';

// Exports never write into the image folder (not through a link to it either), never replace an
// image, and never touch the app's own data folder (the one the app runs with, not the environment's).

let tmp: string;
let folder: string;
let data: string;
let original: Buffer;

beforeAll(async () => {
  tmp = await tempDir();
  data = path.join(tmp, 'data');
  folder = path.join(tmp, 'photos');
  await writeImage(path.join(folder, 'a.jpg'));
  await writeImage(path.join(folder, 'sub', 'b.png'));
  original = await fs.readFile(path.join(folder, 'a.jpg'));
  await fs.symlink(folder, path.join(tmp, 'link-to-photos'));
  await fs.mkdir(data, { recursive: true });
  await fs.writeFile(path.join(data, 'config.json'), '{"model":"colors/1"}');
});
afterAll(() => removeDir(tmp));

const header = { model: 'colors/1', endpoint: 'http://127.0.0.1:9001', threshold: 0.5, created: '2026-01-01T00:00:00.000Z', folder: '' };
const request = (format: WriteExportRequest['format'], target: string): WriteExportRequest => ({ format, path: target, header, sources: [], protectedRoots: [folder], dataDir: data });

async function folderUnchanged() {
  expect((await fs.readdir(folder)).sort()).toEqual(['a.jpg', 'sub']);
  expect((await fs.readFile(path.join(folder, 'a.jpg'))).equals(original)).toBe(true);
}

describe('export guards', () => {
  it('refuses annotated and class-folder exports into the image folder reached through a link', async () => {
    for (const target of [path.join(tmp, 'link-to-photos'), path.join(tmp, 'link-to-photos', 'out'), path.join(tmp, 'link-to-photos', 'sub', 'new', 'deeper')]) {
      await expect(writeExport(request('class-folders', target)), target).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(writeExport(request('annotated', target)), target).rejects.toMatchObject({ code: 'invalid_input' });
    }
    await folderUnchanged();
  });

  it('never lets a JSON, CSV or report export replace an image', async () => {
    await expect(writeExport(request('json', path.join(folder, 'a.jpg')))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(writeExport(request('csv', path.join(tmp, 'link-to-photos', 'a.jpg')))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(writeExport(request('csv', path.join(folder, 'sub', 'b.png')))).rejects.toMatchObject({ code: 'invalid_input' });
    const evaluation = { report: {}, metrics: { evaluated: 0 } } as unknown as Parameters<typeof writeReport>[1];
    await expect(writeReport(path.join(folder, 'A.JPG'), evaluation)).rejects.toMatchObject({ code: 'invalid_input' });
    await folderUnchanged();
    // A results file beside the images is fine.
    await writeExport(request('csv', path.join(tmp, 'results.csv')));
    await expect(fs.access(path.join(tmp, 'results.csv'))).resolves.toBeUndefined();
  });

  it("never writes an export into the app's data folder", async () => {
    await expect(writeExport(request('json', path.join(data, 'config.json')))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(writeExport(request('csv', path.join(data, 'results', 'x.csv')))).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(writeExport(request('class-folders', path.join(data, 'cache')))).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await fs.readFile(path.join(data, 'config.json'), 'utf8')).toBe('{"model":"colors/1"}');
    expect(await fs.readdir(data)).toEqual(['config.json']);
  });
});

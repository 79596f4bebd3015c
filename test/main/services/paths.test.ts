import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataPaths, resolveDataDir, userDataDir } from '../../../main/services/paths';

describe('data dir', () => {
  it('is CLASSIFY_DESK_HOME when set, made absolute', () => {
    expect(resolveDataDir({ CLASSIFY_DESK_HOME: '/srv/desk' }, 'linux')).toBe('/srv/desk');
    expect(resolveDataDir({ CLASSIFY_DESK_HOME: 'rel/desk' }, 'linux')).toBe(path.resolve('rel/desk'));
  });

  it("is where Electron puts userData for 'Classify Desk' on each OS", () => {
    expect(userDataDir('Classify Desk', 'linux', {}, '/home/ann')).toBe('/home/ann/.config/Classify Desk');
    expect(userDataDir('Classify Desk', 'linux', { XDG_CONFIG_HOME: '/xdg' }, '/home/ann')).toBe('/xdg/Classify Desk');
    expect(userDataDir('Classify Desk', 'darwin', {}, '/Users/ann')).toBe('/Users/ann/Library/Application Support/Classify Desk');
    expect(userDataDir('Classify Desk', 'win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Classify Desk',
    );
    expect(resolveDataDir({ CLASSIFY_DESK_HOME: '  ' }, 'linux')).toBe(userDataDir('Classify Desk', 'linux', { CLASSIFY_DESK_HOME: '  ' }));
  });

  it('keeps the thumbnail cache inside it (exports never go there: the export guards refuse it)', () => {
    expect(dataPaths('/d')).toEqual({ thumbnails: path.join('/d', 'cache', 'thumbnails'), listings: path.join('/d', 'cache', 'listings') });
  });
});

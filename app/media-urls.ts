// URLs of the media scheme. They are relative, so the same renderer build resolves them against
// app://classify-desk/ in Electron and against the browser host's origin in tests.

/** Percent-encodes each segment of a relative POSIX path, keeping the slashes. */
export function encodeRelPath(id: string): string {
  return id.split('/').map(encodeURIComponent).join('/');
}

/** The thumbnail URL of an image (longest side `size` px). */
export function thumbUrl(folderId: string, id: string, size: number): string {
  return `media/thumb/${folderId}/${encodeRelPath(id)}?s=${Math.round(size)}`;
}

/** The full-size image URL (browser-decodable form of the original). */
export function fullUrl(folderId: string, id: string): string {
  return `media/full/${folderId}/${encodeRelPath(id)}`;
}

/** Parses a media path (after the origin) into its parts; null when it is not one. */
export function parseMediaPath(pathname: string): { kind: 'thumb' | 'full'; folderId: string; id: string } | null {
  const match = /^\/?media\/(thumb|full)\/([0-9a-f]{16})\/(.+)$/.exec(pathname);
  if (!match) return null;
  let id: string;
  try {
    id = match[3].split('/').map(decodeURIComponent).join('/');
  } catch {
    return null;
  }
  return { kind: match[1] as 'thumb' | 'full', folderId: match[2], id };
}

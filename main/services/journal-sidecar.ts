import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { privateFileMode } from './paths';

// A lean journal's index kept on disk beside it: each live key with its brief and where its line
// is, so re-opening reads a few MB instead of parsing every line (at 250,000 results, 146 MB of
// JSON, zod and summaries took seconds). It only stands for the journal whose size, mtime and
// inode it was written against; anything else (another process appended or compacted, the file
// was cut short, the sidecar is damaged) and the journal is read as before. The index also reads
// back a sample of lines and checks them against the sidecar before trusting it.

/** How a journal's briefs are written into the sidecar and read back (checked: it is a file). */
export interface BriefCodec<B> {
  encode(briefs: readonly B[]): unknown;
  /** The `count` briefs `encode` wrote, or null when the value is not exactly that. Each brief
   *  must equal (as JSON, same field order) what the `brief` rule makes of its record. */
  decode(value: unknown, count: number): B[] | null;
}

/** Which state of the journal file a sidecar stands for. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface SidecarData<B> {
  /** Valid lines in the journal (live + superseded), and garbled ones, as the full read found. */
  lines: number;
  garbled: number;
  keys: string[];
  at: number[];
  bytes: number[];
  briefs: B[];
}

const version = 1;

function digest(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Writes the sidecar atomically (a reader sees the old one or the whole new one), private to the user. */
export async function writeSidecar<B>(file: string, stamp: FileStamp, data: SidecarData<B>, codec: BriefCodec<B>): Promise<void> {
  const body = JSON.stringify({ lines: data.lines, garbled: data.garbled, keys: data.keys, at: data.at, bytes: data.bytes, briefs: codec.encode(data.briefs) });
  const header = JSON.stringify({ v: version, size: stamp.size, mtimeMs: stamp.mtimeMs, ino: stamp.ino, sha1: digest(body) });
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(temp, `${header}\n${body}`, { mode: privateFileMode });
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function counts(value: unknown, length: number): value is number[] {
  if (!Array.isArray(value) || value.length !== length) return false;
  for (const n of value) if (!isCount(n)) return false;
  return true;
}

/** The sidecar's index when it stands for the journal as it is now (`stamp`), else null. */
export async function readSidecar<B>(file: string, stamp: FileStamp, codec: BriefCodec<B>): Promise<SidecarData<B> | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return null;
  }
  const nl = text.indexOf('\n');
  if (nl === -1) return null;
  try {
    const header: unknown = JSON.parse(text.slice(0, nl));
    if (typeof header !== 'object' || header === null) return null;
    const h = header as Record<string, unknown>;
    if (h.v !== version || h.size !== stamp.size || h.mtimeMs !== stamp.mtimeMs || h.ino !== stamp.ino) return null;
    const body = text.slice(nl + 1);
    if (h.sha1 !== digest(body)) return null;
    const value: unknown = JSON.parse(body);
    if (typeof value !== 'object' || value === null) return null;
    const v = value as Record<string, unknown>;
    const keys = v.keys;
    if (!Array.isArray(keys) || !isCount(v.lines) || !isCount(v.garbled) || v.lines < keys.length) return null;
    for (const key of keys) if (typeof key !== 'string' || key.length === 0) return null;
    if (!counts(v.at, keys.length) || !counts(v.bytes, keys.length)) return null;
    // Every line, with its newline, lies inside the file.
    for (let i = 0; i < keys.length; i++) if (v.at[i] + v.bytes[i] + 1 > stamp.size) return null;
    const briefs = codec.decode(v.briefs, keys.length);
    if (!briefs) return null;
    return { lines: v.lines, garbled: v.garbled, keys: keys as string[], at: v.at, bytes: v.bytes, briefs };
  } catch {
    return null;
  }
}
